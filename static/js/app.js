// The drawing page: wires the pad, the photo input and the result panel to the
// API, and handles modes (digit, number, photo) and keyboard shortcuts.

import { ApiError, describeModel, explainImage, predictDigit, predictNumber } from "./api.js";
import { InsideView } from "./inside.js";
import { LiveRequest } from "./live.js";
import { DrawingPad } from "./pad.js";
import { PhotoView, listenForPhotos } from "./photo.js";
import { ResultPanel, drawBoxes } from "./result.js";
import { TeachPanel, fileAsDataURL } from "./teach.js";

const MODES = ["digit", "number", "photo"];
// A tap or a speck is not a digit yet: the network would still name one (a blob
// scaled up to digit size looks like an 8), so the page waits for more ink.
const SMALLEST_DRAWING = 40; // logical pixels, a seventh of the pad's height
const TOO_SMALL = "Too small to read: draw the digit larger.";

const EMPTY_PROMPT = {
  digit: "Draw a digit to start.",
  number: "Write a number to start.",
  photo: "Choose, drop or paste a photo.",
};

const $ = (id) => document.getElementById(id);

const state = {
  mode: "digit",
  model: $("model-select")?.value || undefined,
  photoRequest: null,
  photoFile: null, // the photo last read, for the look-inside view
};

const panel = new ResultPanel($("result"));
const teach = new TeachPanel($("teach"));
const pad = new DrawingPad($("pad"), { brush: Number($("brush").value) });
const photoView = new PhotoView($("photo-stage"), $("photo"));
const maxUploadBytes = Number(document.body.dataset.maxUploadBytes) || 10 * 1024 * 1024;
// The server words the limit ("10 MiB"); a file's own size is given in the same unit.
const maxUploadSize = document.body.dataset.maxUploadSize || "10 MiB";
const MIB = 1024 * 1024;

// --- Drawing and live prediction ---------------------------------------------

async function predictDrawing(signal) {
  const image = await pad.toPng();
  state.drawingSent = image; // what the answer that comes back was read from
  const options = { signal, model: state.model };
  return state.mode === "number"
    ? predictNumber(image, options)
    : predictDigit(image, options);
}

function showPredictionError(error) {
  teach.clear();
  if (error instanceof ApiError && error.noDigit) {
    $("pad-boxes").replaceChildren();
    panel.showNoDigit(error.message);
  } else {
    panel.showError(error instanceof ApiError ? error.message : "Something went wrong. Try again.");
    if (!(error instanceof ApiError)) console.warn(error);
  }
}

const live = new LiveRequest(predictDrawing, {
  onBusy: (on) => panel.busy(on),
  onResult: (result) => {
    if (pad.isEmpty) return;
    if (state.mode === "number") {
      drawBoxes($("pad-boxes"), result.digits, pad.sentSize);
      panel.showNumber(result);
    } else {
      panel.showDigit(result);
    }
    const drawing = state.drawingSent;
    teach.offer(state.mode === "number" ? result.digits : [result], {
      kind: "canvas",
      model: result.model?.name,
      original: () => fileAsDataURL(drawing),
    });
  },
  onError: showPredictionError,
});

function onPadChange(reason) {
  const empty = pad.isEmpty;
  $("undo").disabled = empty;
  $("clear").disabled = empty;
  $("pad-placeholder").hidden = !empty;
  if (empty || pad.extent < SMALLEST_DRAWING) refreshInside();
  else refreshInside(reason === "end" || reason === "undo" || reason === "load");
  if (empty || pad.extent < SMALLEST_DRAWING) teach.clear();
  if (empty) {
    live.cancel();
    $("pad-boxes").replaceChildren();
    panel.showEmpty(EMPTY_PROMPT[state.mode]);
    return;
  }
  if (pad.extent < SMALLEST_DRAWING) {
    live.cancel();
    $("pad-boxes").replaceChildren();
    if (!pad.isDrawing) panel.showTooSmall(TOO_SMALL);
    return;
  }
  if (reason === "end" || reason === "undo" || reason === "load") live.run();
  else live.schedule();
}

pad.addEventListener("change", (event) => onPadChange(event.detail.reason));
$("undo").addEventListener("click", () => pad.undo());
$("read-number").addEventListener("click", () => {
  setMode("number", { keepDrawing: true });
  $("pad").focus();
});
$("clear").addEventListener("click", () => {
  pad.clear();
  $("pad").focus();
});

// --- Look inside: each layer's maps and why, updated live like the answer ------

const inside = new InsideView($("inside"));
const LOOK_PROMPT = {
  digit: "Draw a digit to look inside.",
  number: "Write a number to look inside.",
  photo: "Choose a photo to look inside.",
};

async function explainInput(signal) {
  const options = { signal, model: state.model, number: state.mode !== "digit" };
  const image = state.mode === "photo" ? state.photoFile : await pad.toPng();
  return explainImage(image, options);
}

// Slower than the answer's: a look inside is several times the work and the bytes.
const insideLive = new LiveRequest(explainInput, {
  wait: 250,
  maxWait: 900,
  onBusy: (on) => inside.busy(on),
  onResult: (answer) => inside.show(answer),
  onError: (error) => {
    if (error instanceof ApiError && error.noDigit) inside.clear(error.message);
    else inside.showError(error instanceof ApiError ? error.message : "Something went wrong.");
  },
});

/** Bring the view up to date with the input: `now`, or after the drawing pauses. */
function refreshInside(now = true) {
  if (!inside.open) return;
  const nothing =
    state.mode === "photo" ? !state.photoFile : pad.isEmpty || pad.extent < SMALLEST_DRAWING;
  if (nothing) {
    insideLive.cancel();
    inside.clear(state.mode !== "photo" && !pad.isEmpty ? TOO_SMALL : LOOK_PROMPT[state.mode]);
  } else if (now) {
    insideLive.run();
  } else {
    insideLive.schedule();
  }
}

function openInside(open) {
  $("inside").hidden = !open;
  $("look-inside").setAttribute("aria-expanded", String(open));
  if (open) {
    refreshInside();
    $("inside").scrollIntoView({ block: "start" });
    $("inside").focus({ preventScroll: true });
  } else {
    insideLive.cancel();
    $("look-inside").focus();
  }
}

$("look-inside").addEventListener("click", () => openInside(!inside.open));
$("inside-close").addEventListener("click", () => openInside(false));

// --- Brush ---------------------------------------------------------------------

function showBrush() {
  const width = Number($("brush").value);
  pad.setBrush(width);
  $("brush").setAttribute("aria-valuetext", `${width} pixels`);
  const scale = $("pad").getBoundingClientRect().width / pad.width || 1;
  const dot = $("brush-dot");
  dot.style.width = `${Math.max(2, width * scale)}px`;
  dot.style.height = dot.style.width;
}

$("brush").addEventListener("input", () => {
  showBrush();
  try {
    localStorage.setItem("digits.brush", $("brush").value);
  } catch {
    // Storage may be unavailable (private mode): the brush still works.
  }
});
try {
  const saved = localStorage.getItem("digits.brush");
  if (saved) $("brush").value = saved;
} catch {
  // See above.
}
new ResizeObserver(showBrush).observe($("pad"));

// --- Photos --------------------------------------------------------------------

async function readPhoto(file) {
  setMode("photo");
  state.photoRequest?.abort();
  const controller = new AbortController();
  state.photoRequest = controller;
  $("photo-boxes").replaceChildren();
  state.photoFile = null;
  teach.clear();
  refreshInside();
  if (file.size > maxUploadBytes) {
    photoView.reset();
    panel.showEmpty("Choose another photo.");
    const size = Math.ceil((file.size / MIB) * 10) / 10;
    panel.showError(`That file is too large (${size} MiB). The limit is ${maxUploadSize}.`);
    return;
  }
  const shown = photoView.show(file);
  panel.showEmpty("Reading the photo…");
  panel.busy(true);
  try {
    const result = await predictNumber(file, { signal: controller.signal, model: state.model });
    const size = await shown;
    if (state.photoRequest !== controller) return;
    if (size) drawBoxes($("photo-boxes"), result.digits, size);
    panel.showNumber(result);
    teach.offer(result.digits, {
      kind: "photo",
      model: result.model?.name,
      original: () => fileAsDataURL(file),
    });
    state.photoFile = file;
    refreshInside();
  } catch (error) {
    if (error?.name === "AbortError" || state.photoRequest !== controller) return;
    if (error instanceof ApiError && error.noDigit) {
      panel.showNoDigit(error.message);
    } else {
      photoView.reset();
      panel.showEmpty("Choose another photo.");
      panel.showError(error instanceof ApiError ? error.message : "Something went wrong. Try again.");
    }
  } finally {
    if (state.photoRequest === controller) {
      state.photoRequest = null;
      panel.busy(false);
    }
  }
}

listenForPhotos({
  dropzone: $("dropzone"),
  inputs: [$("photo-file"), $("photo-camera")],
  onFile: readPhoto,
});

// --- Modes -----------------------------------------------------------------------

/** Switch modes; `keepDrawing` carries the digit pad's drawing into the number pad. */
function setMode(mode, { keepDrawing = false } = {}) {
  if (!MODES.includes(mode) || mode === state.mode) return;
  state.mode = mode;
  document.body.dataset.mode = mode;
  panel.mode = mode;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const selected = tab.dataset.mode === mode;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  const drawing = mode !== "photo";
  $("panel-draw").hidden = !drawing;
  $("panel-photo").hidden = drawing;
  $("panel-draw").setAttribute("aria-labelledby", mode === "number" ? "tab-number" : "tab-digit");
  for (const hint of document.querySelectorAll("[data-for-mode]")) {
    hint.hidden = hint.dataset.forMode !== mode;
  }
  live.cancel();
  teach.clear();
  state.photoRequest?.abort();
  state.photoRequest = null;
  state.photoFile = null;
  if (drawing) {
    photoView.reset();
    $("photo-boxes").replaceChildren();
    panel.showEmpty(EMPTY_PROMPT[mode]);
    pad.setAspect(mode === "number" ? 2 : 1, { keep: keepDrawing });
    requestAnimationFrame(showBrush);
  } else {
    panel.showEmpty(EMPTY_PROMPT[mode]);
  }
  refreshInside();
  history.replaceState(null, "", mode === "digit" ? location.pathname : `#${mode}`);
}

const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
for (const tab of tabs) {
  tab.addEventListener("click", () => setMode(tab.dataset.mode));
  tab.addEventListener("keydown", (event) => {
    const index = tabs.indexOf(tab);
    const next = {
      ArrowRight: (index + 1) % tabs.length,
      ArrowLeft: (index - 1 + tabs.length) % tabs.length,
      Home: 0,
      End: tabs.length - 1,
    }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    tabs[next].focus();
    setMode(tabs[next].dataset.mode);
  });
}

// --- Keyboard shortcuts ------------------------------------------------------------

function typingInField(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) && target.type !== "range";
}

document.addEventListener("keydown", (event) => {
  if (state.mode === "photo" || typingInField(event.target)) return;
  const undoKey = (event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z";
  if (undoKey) {
    event.preventDefault();
    pad.undo();
  } else if ((event.key === "Escape" || event.key === "Delete") && !pad.isEmpty) {
    event.preventDefault();
    pad.clear();
  }
});

// --- The model ------------------------------------------------------------------------

async function showModel(name) {
  try {
    const info = await describeModel(name);
    const accuracy =
      typeof info.test_accuracy === "number"
        ? `, ${(info.test_accuracy * 100).toFixed(1)}% on the MNIST test set`
        : "";
    // As the server writes it: the name alone (an architecture equal to it said "mlp (mlp)").
    $("model-info").textContent = `Model: ${info.name}${accuracy}`;
  } catch {
    $("model-info").textContent = "Model: not available";
  }
}

$("model-select")?.addEventListener("change", (event) => {
  state.model = event.target.value;
  showModel(state.model);
  if (state.mode !== "photo" && !pad.isEmpty) live.run();
  refreshInside();
});

if (!$("model-info").dataset.defaultModel) showModel();

// --- Start ------------------------------------------------------------------------------

document.body.dataset.mode = "digit";
showBrush();
const initial = location.hash.slice(1);
if (MODES.includes(initial)) setMode(initial);
else panel.showEmpty(EMPTY_PROMPT.digit);
document.documentElement.dataset.ready = "true";
