// The "look inside" view: what each layer of the network made of the drawing or
// photo, and which pixels made it choose its answer over the runner-up. It shows
// an answer of POST /explain: for each digit, the input, the why / why-not maps,
// every layer's maps as tiles (one picture per layer) with a caption, the output
// probabilities and the first layer's filters. A number has a button per digit.

import { element, percent } from "./dom.js";

// Largest on-screen size of a picture pixel, and the width a picture aims for.
const MAX_ZOOM = 12;
const TARGET_WIDTH = 480;

/** The picture's own width and height in pixels, from the numbers sent with it. */
function pictureSize(view) {
  if (view.shape.length === 3) {
    const [h, w] = view.shape;
    const rows = Math.ceil(view.tiles / view.columns);
    return [view.columns * (w + 1) - 1, rows * (h + 1) - 1];
  }
  return [view.columns, Math.ceil(view.shape[0] / view.columns)];
}

/** An <img> of a map, drawn with square pixels at a whole-number zoom. */
function mapImage(src, width, height, alt) {
  const image = element("img", "inside-map");
  const zoom = Math.max(1, Math.min(MAX_ZOOM, Math.floor(TARGET_WIDTH / width)));
  image.src = src;
  image.alt = alt;
  image.width = width * zoom;
  image.height = height * zoom;
  return image;
}

function figure(image, caption, className = "inside-figure") {
  const node = element("figure", className);
  node.append(image, element("figcaption", "", caption));
  return node;
}

const shapeText = (shape) => shape.join("×");

/** A <section class="inside-NAME"> named by its <h3 id="inside-NAME-title">. */
function titledSection(name, heading) {
  const section = element("section", `inside-${name}`);
  section.setAttribute("aria-labelledby", `inside-${name}-title`);
  const title = element("h3", "", heading);
  title.id = `inside-${name}-title`;
  section.append(title);
  return section;
}

export class InsideView {
  /** @param {HTMLElement} root the view's section */
  constructor(root) {
    this.root = root;
    this.status = root.querySelector("#inside-status");
    this.method = root.querySelector("#inside-method");
    this.chooser = root.querySelector("#inside-digits");
    this.body = root.querySelector("#inside-body");
    this.answer = null;
    this.chosen = 0;
  }

  get open() {
    return !this.root.hidden;
  }

  busy(on) {
    this.root.setAttribute("aria-busy", on ? "true" : "false");
  }

  /** Nothing to show (no drawing yet, no digit found, an error): say why, keep the frame. */
  clear(message) {
    this.answer = null;
    this.status.textContent = message;
    this.chooser.replaceChildren();
    this.chooser.hidden = true;
    this.body.replaceChildren();
  }

  /** A request failed: keep the last maps, say what went wrong. */
  showError(message) {
    this.status.textContent = message;
  }

  /** An answer of POST /explain. */
  show(answer) {
    const keep = this.answer && this.answer.digits.length === answer.digits.length;
    this.answer = answer;
    this.chosen = keep ? Math.min(this.chosen, answer.digits.length - 1) : 0;
    this.method.textContent = answer.method;
    this.buildChooser();
    this.showDigit(this.chosen);
  }

  buildChooser() {
    const digits = this.answer.digits;
    this.chooser.replaceChildren();
    this.chooser.hidden = digits.length < 2;
    if (digits.length < 2) return;
    digits.forEach((d, i) => {
      const button = element("button", "button inside-choice", `Digit ${i + 1}: ${d.digit}`);
      button.type = "button";
      button.setAttribute("aria-pressed", String(i === this.chosen));
      button.addEventListener("click", () => this.showDigit(i));
      this.chooser.append(button);
    });
  }

  showDigit(index) {
    this.chosen = index;
    for (const [i, button] of Array.from(this.chooser.children).entries()) {
      button.setAttribute("aria-pressed", String(i === index));
    }
    const d = this.answer.digits[index];
    const count = this.answer.digits.length;
    const which = count > 1 ? `Digit ${index + 1} of ${count}: ` : "";
    const first = d.second_look ? " at first sight" : "";
    const again = d.second_look
      ? ` Unsure, it looked again: a second look reads ${d.second_look.digit}, ` +
        `${percent(d.second_look.confidence)} sure.`
      : "";
    this.status.textContent =
      `${which}${d.digit}, ${percent(d.confidence)} sure${first}; runner-up ${d.runner_up} ` +
      `(${percent(d.probabilities[d.runner_up])}).${again}`;
    const sections = [this.whySection(d), this.layersSection(d), this.filtersSection(d)];
    if (d.second_look) sections.splice(1, 0, this.secondLookSection(d.second_look));
    this.body.replaceChildren(...sections);
    this.root.dataset.digit = String(d.digit);
  }

  whySection(d) {
    const section = titledSection("why", `Why ${d.digit} and not ${d.runner_up}?`);
    const row = element("div", "inside-why-maps");
    row.append(
      figure(
        mapImage(d.input, 28, 28, "The 28 by 28 pixel image the network saw"),
        "What the network saw",
      ),
      ...[d.why, d.why_not, d.versus].map((view, i) =>
        figure(
          mapImage(view.picture, 28, 28, view.caption),
          view.caption,
          `inside-figure inside-attribution${i === 0 ? " inside-answer" : ""}`,
        ),
      ),
    );
    section.append(row);
    return section;
  }

  /** Where the network was unsure: the views it looked at again (the answer it gives). */
  secondLookSection(look) {
    const section = titledSection("second-look", `A second look: ${look.digit}`);
    const width = look.tiles * 29 - 1;
    const alt = `The image and ${look.tiles - 1} views of it, moved and turned a little`;
    section.append(figure(mapImage(look.picture, width, 28, alt), look.caption));
    return section;
  }

  layersSection(d) {
    const section = titledSection("layers", "Layer by layer");
    const list = element("ol", "inside-layer-list");
    for (const view of d.layers) {
      const item = element("li", "inside-layer");
      item.dataset.kind = view.kind;
      const [width, height] = pictureSize(view);
      const what =
        view.shape.length === 3
          ? `${view.tiles} maps of ${view.shape[0]}×${view.shape[1]}`
          : `${view.shape[0]} values`;
      item.append(
        element("h4", "", `${view.title} `),
        figure(mapImage(view.picture, width, height, `${view.title}: ${what}`), view.caption),
      );
      item.querySelector("h4").append(element("span", "inside-shape", shapeText(view.shape)));
      list.append(item);
    }
    list.append(this.probabilities(d));
    section.append(list);
    return section;
  }

  probabilities(d) {
    const item = element("li", "inside-layer inside-probabilities");
    item.append(element("h4", "", "Probabilities"));
    const bars = element("ol", "inside-bars");
    bars.setAttribute("aria-label", "Probability of each digit");
    d.probabilities.forEach((p, digit) => {
      const row = element("li", digit === d.digit ? "top" : digit === d.runner_up ? "second" : "");
      const track = element("span", "inside-bar-track");
      const fill = element("span", "inside-bar-fill");
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      track.append(fill);
      const value = p > 0 && p < 0.005 ? "<1%" : percent(p);
      row.append(
        element("span", "inside-bar-digit", String(digit)),
        track,
        element("span", "inside-bar-value", value),
      );
      bars.append(row);
    });
    const caption = "The softmax turns the ten scores into probabilities that add up to 100%.";
    item.append(bars, element("p", "inside-caption", caption));
    if (d.not_a_digit != null) {
      // a network with an 11th output: its share is kept apart from the ten digits'
      const sure = d.not_a_digit < 0.005 ? "under 1%" : percent(d.not_a_digit);
      const text =
        `An eleventh output scores "not a digit at all": ${sure}. ` +
        "The bars share the rest, rescaled to 100%.";
      item.append(element("p", "inside-caption inside-refusal", text));
    }
    return item;
  }

  filtersSection(d) {
    const section = titledSection("filters", "What the first layer looks for");
    const [count, h, w] = d.filters.shape;
    const rows = Math.ceil(count / d.filters.columns);
    const width = d.filters.columns * (w + 1) - 1;
    const height = rows * (h + 1) - 1;
    const alt = `${count} learned first-layer weights, ${h} by ${w} pixels each`;
    const picture = mapImage(d.filters.picture, width, height, alt);
    section.append(figure(picture, d.filters.caption));
    return section;
  }
}
