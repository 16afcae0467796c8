// Calls to the prediction API. Every failure becomes an ApiError whose message
// a person can read; aborted requests are left as the browser's AbortError so
// callers can ignore them.

export class ApiError extends Error {
  /** @param {number} status 0 when the server could not be reached */
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }

  /** The server found no digit in the image (an empty or blank picture). */
  get noDigit() {
    return this.status === 422;
  }
}

// The formats the server reads, as the page was rendered with them.
const IMAGE_FORMATS = globalThis.document?.body?.dataset.imageFormats || "common image format";
// The upload limit in the server's words ("10 MiB"), for a 413 that came without them.
const MAX_UPLOAD_SIZE = globalThis.document?.body?.dataset.maxUploadSize || "10 MiB";

const FALLBACK_MESSAGES = {
  413: `That file is too large. Please use a smaller image (at most ${MAX_UPLOAD_SIZE}).`,
  415: `That file is not an image the server can read. Use a ${IMAGE_FORMATS}.`,
  422: "No digit found. Write larger and darker, in the middle.",
};

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  return search.toString();
}

async function errorFrom(response) {
  let detail = "";
  try {
    const body = await response.json();
    detail = typeof body.detail === "string" ? body.detail : "";
  } catch {
    // Not JSON (a proxy's error page): fall back to our own words.
  }
  const message =
    detail || FALLBACK_MESSAGES[response.status] || `The server answered ${response.status}.`;
  return new ApiError(response.status, message);
}

async function send(path, params, body, signal) {
  const init = { method: "POST", body, signal, headers: { Accept: "application/json" } };
  if (typeof body === "string") init.headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`${path}?${query(params)}`, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "Cannot reach the server. Check the connection and try again.");
  }
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

function imageBody(image) {
  if (typeof image === "string") return JSON.stringify({ image });
  // The drawing (a PNG Blob) goes as the raw body, its type the Content-Type: no
  // multipart form for the server to parse. A photo keeps its file name in a form.
  if (!(image instanceof File)) return image;
  const form = new FormData();
  form.append("file", image, image.name || "photo");
  return form;
}

/**
 * One digit: `image` is the drawing (a PNG Blob), a File (a photo) or a data URL.
 * Resolves to `{digit, confidence, status, top, image, model, timing_ms}`.
 */
export function predictDigit(image, { signal, model, topK = 10 } = {}) {
  return send(
    "/predict",
    { top_k: topK, include_image: true, model },
    imageBody(image),
    signal,
  );
}

/** A whole number: resolves to `{number, confidence, status, digits: [...]}`. */
export function predictNumber(image, { signal, model, topK = 10 } = {}) {
  return send(
    "/predict/number",
    { top_k: topK, include_image: true, model },
    imageBody(image),
    signal,
  );
}

/**
 * Look inside the network: each layer's maps and why it chose its answer, for one
 * digit or (`number`) each digit of a number. Resolves to `{method, digits: [...]}`.
 */
export function explainImage(image, { signal, model, number = false } = {}) {
  return send("/explain", { model, number }, imageBody(image), signal);
}

/**
 * Teach it: what one answer really was (`label`: "0"-"9" or "not_a_digit").
 * `input` is the 28x28 image the network saw, `image` the drawing or photo as sent.
 * Resolves to the correction as kept: `{id, label, predicted, model_was_wrong, ...}`.
 */
export function sendFeedback({ label, kind, input, image }, { model } = {}) {
  return send("/feedback", { model }, JSON.stringify({ label, kind, input, image }));
}

/** The model that answers: name, architecture, accuracy. */
export async function describeModel(model) {
  const response = await fetch(`/model?${query({ model })}`, {
    headers: { Accept: "application/json" },
  });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}
