// The result panel: the answer in large type and in words, bars for the ten
// probabilities, the 28x28 image the network saw, and for numbers and photos a
// card and a box per digit. Answers are announced to screen readers when they
// change (not on every live update).

import { element, percent } from "./dom.js";

// "an 8", "a 7": of the digits only eight starts with a vowel sound.
const article = (digit) => (digit === 8 ? "an" : "a");

/** Guesses after the first, as "1 (4%), 7 (2%)"; only the ones worth mentioning. */
function alternatives(top, limit = 2) {
  return top
    .slice(1, 1 + limit)
    .filter((c) => c.probability >= 0.01)
    .map((c) => `${c.digit} (${percent(c.probability)})`)
    .join(", ");
}

export class ResultPanel {
  constructor(root) {
    this.root = root;
    this.answer = root.querySelector("#answer");
    this.value = root.querySelector("#answer-value");
    this.status = root.querySelector("#answer-status");
    this.detail = root.querySelector("#answer-detail");
    this.error = root.querySelector("#error");
    this.several = root.querySelector("#several");
    this.severalText = root.querySelector("#several-text");
    this.explain = root.querySelector("#explain");
    this.bars = root.querySelector("#bars");
    this.seen = root.querySelector("#seen-image");
    this.cards = root.querySelector("#digit-cards");
    this.live = document.getElementById("announce");
    this.lastAnnounced = "";
    this.mode = "digit"; // digit | number | photo: bars stay visible, empty, in digit mode
    this.rows = this.buildBars();
  }

  buildBars() {
    const rows = [];
    for (let digit = 0; digit < 10; digit += 1) {
      const row = element("li", "bar-row");
      row.dataset.digit = String(digit);
      const track = element("span", "bar-track");
      const fill = element("span", "bar-fill");
      track.append(fill);
      const value = element("span", "bar-value", "–");
      row.append(element("span", "bar-digit", String(digit)), track, value);
      this.bars.append(row);
      rows.push({ row, fill, value });
    }
    return rows;
  }

  busy(on) {
    this.root.setAttribute("aria-busy", on ? "true" : "false");
  }

  setAnswer(state, value, status, detail, mode = "digit") {
    this.answer.dataset.state = state;
    this.answer.dataset.mode = mode;
    this.value.textContent = value;
    this.status.textContent = status;
    this.detail.textContent = detail;
    this.error.hidden = true;
    this.several.hidden = true;
  }

  /** A number written where one digit was asked for: offer to read it as a number. */
  showSeveral(count) {
    this.severalText.textContent = `This looks like ${count} digits. Digit mode reads them as one.`;
    this.several.hidden = false;
  }

  /** Nothing to read yet. */
  showEmpty(status) {
    this.setAnswer("empty", "?", status, "");
    this.showBars(null);
    this.showSeen(null);
    this.showCards(null);
    // Cleared or another mode: the last answer is no longer true, so stop saying it.
    this.lastAnnounced = "";
    this.live.textContent = "";
  }

  /** Some ink, but too little to be worth asking the network about. */
  showTooSmall(message) {
    this.setAnswer("none", "…", "Keep drawing.", message);
    this.showBars(null);
    this.showSeen(null);
    this.showCards(null);
    this.announce(message);
  }

  /** The server found no digit (422), or a photo held none. */
  showNoDigit(message) {
    this.setAnswer("none", "–", "No digit found.", message);
    this.showBars(null);
    this.showSeen(null);
    this.showCards(null);
    this.announce(`No digit found. ${message}`);
  }

  /** A request failed for another reason: keep the last answer, say what went wrong. */
  showError(message) {
    this.error.textContent = message;
    this.error.hidden = false;
    this.announce(message);
  }

  /** One digit: `{digit, confidence, status, top, image, digits_found}`. */
  showDigit(result, { cards = false } = {}) {
    if (result.status === "not_a_digit") {
      // Said plainly; the best guess stays, in small, for the curious.
      const guess = `Best guess: ${result.digit}, ${percent(result.confidence)}.`;
      this.setAnswer("not-digit", "✕", "That doesn't look like a digit.", guess);
      this.showBars(result.top);
      this.showSeen(result.image);
      this.showCards(cards ? [result] : null);
      this.announce(`That doesn't look like a digit. ${guess}`);
      return;
    }
    const sure = result.status === "ok";
    const several = result.digits_found > 1 ? result.digits_found : 0;
    // A number read as one digit: said in the answer itself, which stays in view on phones.
    const why = several ? `; it looks like ${several} digits` : "";
    const alt = several ? "" : alternatives(result.top);
    if (sure) {
      this.setAnswer("ok", String(result.digit), `It's ${article(result.digit)} ${result.digit}.`, `${percent(result.confidence)} sure${why}`);
    } else {
      this.setAnswer(
        "unsure",
        String(result.digit),
        `Not sure: maybe ${article(result.digit)} ${result.digit}.`,
        `${percent(result.confidence)} sure${why}${alt ? `; it could also be ${alt}` : ""}.`,
      );
    }
    this.showBars(result.top);
    this.showSeen(result.image);
    this.showCards(cards ? [result] : null);
    if (several) this.showSeveral(several);
    this.announce(
      (sure
        ? `${result.digit}, ${percent(result.confidence)} sure`
        : `Not sure. Maybe ${result.digit}, ${percent(result.confidence)}`) +
        (several ? `, but it looks like ${several} digits.` : "."),
    );
  }

  /** A number: `{number, confidence, status, digits: [{digit, confidence, status, top, box, image}]}`. */
  showNumber(result) {
    const digits = result.digits;
    if (digits.length === 0) {
      this.showNoDigit("Nothing that looks like writing was found.");
      return;
    }
    if (digits.length === 1) {
      this.showDigit(digits[0]); // its bars and 28x28 image say it all: no card
      return;
    }
    const strange = digits.filter((d) => d.status === "not_a_digit").length;
    if (strange) {
      const guess = `Best guess: ${result.number}; ${strange === 1 ? "one piece is" : `${strange} pieces are`} not a digit.`;
      this.setAnswer("not-digit", "✕", "That doesn't look like a number.", guess, "number");
      this.showBars(null);
      this.showSeen(null);
      this.showCards(digits);
      this.announce(`That doesn't look like a number. ${guess}`);
      return;
    }
    const unsure = digits.filter((d) => d.status !== "ok").length;
    const shown = digits.map((d) => (d.status === "ok" ? String(d.digit) : `${d.digit}?`)).join("");
    const overall = `${percent(result.confidence)} sure overall`;
    this.setAnswer(
      unsure ? "unsure" : "ok",
      result.number,
      unsure ? `Probably ${result.number}.` : `It reads ${result.number}.`,
      unsure
        ? `Unsure of ${unsure === 1 ? "one digit" : `${unsure} digits`} (${shown}); ${overall}.`
        : `${digits.length} digits, ${overall}.`,
      "number",
    );
    this.showBars(null);
    this.showSeen(null);
    this.showCards(digits);
    this.announce(
      unsure
        ? `Probably ${result.number}; unsure of ${unsure}.`
        : `${result.number}, ${percent(result.confidence)} sure.`,
    );
  }

  showBars(top) {
    this.explain.hidden = top === null && this.mode !== "digit";
    const probabilities = new Map((top ?? []).map((c) => [c.digit, c.probability]));
    const ranked = (top ?? []).map((c) => c.digit);
    this.rows.forEach(({ row, fill, value }, digit) => {
      const p = probabilities.get(digit) ?? 0;
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      value.textContent = top === null ? "–" : p < 0.005 && p > 0 ? "<1%" : percent(p);
      row.classList.toggle("top", top !== null && ranked[0] === digit);
      row.classList.toggle(
        "second",
        top !== null && ranked.slice(1, 3).includes(digit) && p >= 0.05,
      );
    });
  }

  showSeen(dataUrl) {
    if (dataUrl) {
      this.seen.src = dataUrl;
      this.seen.hidden = false;
    } else {
      this.seen.hidden = true;
      this.seen.removeAttribute("src");
    }
  }

  showCards(digits) {
    this.cards.replaceChildren();
    this.cards.hidden = !digits;
    if (!digits) return;
    digits.forEach((d, i) => {
      const card = element("li", `digit-card${d.status === "ok" ? "" : " unsure"}`);
      card.dataset.index = String(i);
      const image = element("img");
      image.alt = `What the network saw for digit ${i + 1}`;
      if (d.image) image.src = d.image;
      const value = element("div", "digit-card-value");
      value.append(
        element("span", "digit-card-digit", String(d.digit)),
        element("small", "", percent(d.confidence)),
      );
      const alt = alternatives(d.top, 2);
      const top = element("div", "digit-card-top", alt ? `or ${alt}` : "nothing else close");
      card.setAttribute(
        "aria-label",
        `Digit ${i + 1}: ${d.digit}, ${percent(d.confidence)}${d.status === "ok" ? "" : ", unsure"}${alt ? `; or ${alt}` : ""}`,
      );
      card.append(image, value, top);
      this.cards.append(card);
    });
  }

  /** Tell screen readers, once per distinct answer. */
  announce(text) {
    if (text === this.lastAnnounced) return;
    this.lastAnnounced = text;
    this.live.textContent = text;
  }
}

/**
 * Draw a box with its digit over an image (`container` covers the image
 * exactly); boxes are in the image's pixels, `size` is the image's size.
 */
export function drawBoxes(container, digits, size) {
  container.replaceChildren();
  for (const d of digits ?? []) {
    if (!d.box) continue;
    const [x, y, w, h] = d.box;
    const box = element("div", `box${d.status === "ok" ? "" : " unsure"}`);
    box.style.left = `${(x / size.width) * 100}%`;
    box.style.top = `${(y / size.height) * 100}%`;
    box.style.width = `${(w / size.width) * 100}%`;
    box.style.height = `${(h / size.height) * 100}%`;
    if (y / size.height < 0.12) box.classList.add("below");
    box.append(element("span", "box-label", String(d.digit)));
    container.append(box);
  }
}
