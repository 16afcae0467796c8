// "Was it right?": after each answer, one tap says "right" or "wrong, it was 7"
// (or "not a digit"). The panel says what is kept and why before anything is
// sent; nothing is sent until a button is pressed. For a number or a photo the
// person first picks which digit (the first one not yet taught is picked).
// Buttons are real <button>s, so mouse, touch and keyboard all work; a taught
// digit's buttons are marked aria-disabled rather than disabled, so keyboard
// focus stays where it was.

import { ApiError, sendFeedback } from "./api.js";

const NOT_A_DIGIT = "not_a_digit";
const ordinal = (i) => ["1st", "2nd", "3rd"][i] ?? `${i + 1}th`;

function spoken(label) {
  return label === NOT_A_DIGIT ? "not a digit" : `a ${label}`;
}

/** What the network said of one digit, as a label ("not a digit" is an answer too). */
function said(digit) {
  return digit.status === NOT_A_DIGIT ? NOT_A_DIGIT : String(digit.digit);
}

export class TeachPanel {
  /** `root` is null when the server keeps no corrections: every call is then a no-op. */
  constructor(root) {
    this.root = root;
    this.answer = null;
    if (!root) return;
    this.which = root.querySelector("#teach-which");
    this.status = root.querySelector("#teach-status");
    this.buttons = Array.from(root.querySelectorAll("#teach-right, .teach-label"));
    root.querySelector("#teach-right").addEventListener("click", () => this.teach(null));
    for (const button of root.querySelectorAll(".teach-label")) {
      button.addEventListener("click", () => this.teach(button.dataset.label));
    }
  }

  /**
   * A new answer to offer corrections for. `digits`: [{digit, image}] (the 28x28
   * image as a data URL); `kind`: canvas or photo; `original()`: resolves to the
   * drawing or photo as a data URL; `model`: the model that answered.
   */
  offer(digits, { kind, original, model }) {
    if (!this.root) return;
    const usable = (digits ?? []).filter((d) => d.image);
    if (usable.length === 0) {
      this.clear();
      return;
    }
    this.answer = { digits: usable, kind, original, model, taught: new Map() };
    this.index = 0;
    this.status.textContent = "";
    this.status.classList.remove("error");
    this.buildChoices();
    this.refresh();
    this.root.hidden = false;
  }

  clear() {
    if (!this.root) return;
    this.answer = null;
    this.root.hidden = true;
    this.status.textContent = "";
  }

  buildChoices() {
    const digits = this.answer.digits;
    this.which.replaceChildren();
    this.which.hidden = digits.length < 2;
    if (digits.length < 2) return;
    digits.forEach((d, i) => {
      const choice = document.createElement("button");
      choice.type = "button";
      choice.className = "button teach-choice";
      choice.textContent = `${ordinal(i)}: ${d.digit}`;
      choice.setAttribute("aria-label", `Digit ${i + 1}, read as ${d.digit}`);
      choice.addEventListener("click", () => {
        this.index = i;
        this.refresh();
      });
      this.which.append(choice);
    });
  }

  refresh() {
    const { digits, taught } = this.answer;
    Array.from(this.which.children).forEach((choice, i) => {
      choice.setAttribute("aria-pressed", String(i === this.index));
      choice.classList.toggle("taught", taught.has(i));
    });
    const done = taught.has(this.index);
    for (const button of this.buttons) button.setAttribute("aria-disabled", String(done || this.sending === true));
    const right = this.root.querySelector("#teach-right");
    right.textContent = `Right, it's ${spoken(said(digits[this.index]))}`;
  }

  async teach(label) {
    const answer = this.answer;
    if (!answer || this.sending || answer.taught.has(this.index)) return;
    const index = this.index;
    const digit = answer.digits[index];
    const given = label ?? said(digit);
    this.sending = true;
    this.refresh();
    this.say("Sending…");
    try {
      const image = await answer.original();
      const kept = await sendFeedback(
        { label: given, kind: answer.kind, input: digit.image, image },
        { model: answer.model },
      );
      if (this.answer !== answer) return; // a new answer came meanwhile
      answer.taught.set(index, kept.id);
      const which = answer.digits.length > 1 ? `Digit ${index + 1} kept` : "Kept";
      this.say(`${which} as ${spoken(kept.label)}. Thank you: it helps test and retrain the network.`);
      const next = answer.digits.findIndex((_, i) => !answer.taught.has(i));
      if (next >= 0) this.index = next;
    } catch (error) {
      if (this.answer !== answer) return;
      const message = error instanceof ApiError ? error.message : "Could not send. Try again.";
      this.say(`Not kept: ${message}`, true);
    } finally {
      this.sending = false;
      if (this.answer === answer) this.refresh();
    }
  }

  say(text, error = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", error);
  }
}

/** A File as a data URL (a photo sent as JSON). */
export function fileAsDataURL(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
