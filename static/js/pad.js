// The drawing pad: a canvas that records strokes from mouse, touch and pen.
//
// Strokes are kept in *logical* units (a fixed 280-high coordinate system, 280
// or 560 wide), independent of the screen: the display canvas is scaled for the
// element's size and the device pixel ratio, and the picture sent to the server
// is always rendered at the same size, black on white, whatever the screen.

import { canEncodeGrey, greyPng } from "./png.js";

const LOGICAL_HEIGHT = 280;
// The picture is sent at half the logical size (140 high), the size the server's ink
// analysis reads (app/vision/pipeline.py: a digit's longer side is analysed at no
// more than 200 pixels, a number's at 400, so a 280 or 560 wide drawing is halved
// there anyway): a quarter of the pixels to send, inflate and analyse.
const SENT_SCALE = 0.5;

/** Draw strokes as smooth curves (quadratic segments through midpoints). */
export function traceStrokes(ctx, strokes, colour) {
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const stroke of strokes) {
    const points = stroke.points;
    if (points.length === 0) continue;
    ctx.lineWidth = stroke.width;
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0].x, points[0].y, stroke.width / 2, 0, Math.PI * 2);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(points[0].x, points[0].y);
    for (let i = 1; i < points.length - 1; i += 1) {
      const mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
      ctx.quadraticCurveTo(points[i].x, points[i].y, mid.x, mid.y);
    }
    const last = points[points.length - 1];
    ctx.lineTo(last.x, last.y);
    ctx.stroke();
  }
}

export class DrawingPad extends EventTarget {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{brush?: number, aspect?: number}} options
   */
  constructor(canvas, { brush = 24, aspect = 1 } = {}) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.brush = brush;
    this.strokes = [];
    this.active = null; // { pointerId, stroke }
    this.frame = 0;
    this.colours = { ink: "#111", background: "#fff", guide: "#eee" };
    this.readColours();
    this.width = Math.round(LOGICAL_HEIGHT * aspect);
    this.height = LOGICAL_HEIGHT;

    canvas.addEventListener("pointerdown", (e) => this.onDown(e));
    canvas.addEventListener("pointermove", (e) => this.onMove(e));
    canvas.addEventListener("pointerup", (e) => this.onEnd(e));
    canvas.addEventListener("pointercancel", (e) => this.onEnd(e));
    canvas.addEventListener("lostpointercapture", (e) => this.onEnd(e));
    // A long press must not open a menu or select anything mid-stroke.
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("touchstart", (e) => e.preventDefault(), { passive: false });

    new ResizeObserver(() => this.resize()).observe(canvas);
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
      this.readColours();
      this.redraw();
    });
    this.resize();
  }

  /**
   * Width over height of the drawing: 1 for a digit, 2 for a number. Clears, unless
   * `keep` (the pad is widening): the strokes then move to the middle of the new width.
   */
  setAspect(aspect, { keep = false } = {}) {
    const width = Math.round(LOGICAL_HEIGHT * aspect);
    const shift = (width - this.width) / 2;
    const kept = keep && shift >= 0 ? this.strokes : [];
    this.strokes = kept.map((s) => ({ ...s, points: s.points.map((p) => ({ ...p, x: p.x + shift })) }));
    this.width = width;
    this.height = LOGICAL_HEIGHT;
    this.active = null;
    this.resize();
    this.changed(this.strokes.length ? "load" : "clear");
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  get isDrawing() {
    return this.active !== null;
  }

  /** The longer side of the box around all the ink, in logical pixels. */
  get extent() {
    let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const stroke of this.strokes) {
      for (const p of stroke.points) {
        left = Math.min(left, p.x - stroke.width / 2);
        right = Math.max(right, p.x + stroke.width / 2);
        top = Math.min(top, p.y - stroke.width / 2);
        bottom = Math.max(bottom, p.y + stroke.width / 2);
      }
    }
    return this.strokes.length === 0 ? 0 : Math.max(right - left, bottom - top);
  }

  readColours() {
    const style = getComputedStyle(document.documentElement);
    const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    this.colours = {
      ink: read("--pad-ink", "#111"),
      background: read("--pad-bg", "#fff"),
      guide: read("--pad-guide", "#eee"),
    };
  }

  /** Match the backing store to the element's size times the device pixel ratio. */
  resize() {
    if (!this.canvas.isConnected) return;
    const rect = this.canvas.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(rect.width * ratio);
    const height = Math.round(rect.height * ratio);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.redraw();
  }

  toLogical(event) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * this.width) / rect.width,
      y: ((event.clientY - rect.top) * this.height) / rect.height,
    };
  }

  onDown(event) {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    if (this.active !== null) return; // a second finger does not start a new stroke
    event.preventDefault();
    this.canvas.focus({ preventScroll: true });
    try {
      this.canvas.setPointerCapture(event.pointerId);
    } catch {
      // Synthetic events may have no capturable pointer; drawing still works.
    }
    const stroke = { width: this.brush, points: [this.toLogical(event)] };
    this.strokes.push(stroke);
    this.active = { pointerId: event.pointerId, stroke };
    this.scheduleRedraw();
    this.changed("start");
  }

  onMove(event) {
    if (this.active === null || event.pointerId !== this.active.pointerId) return;
    event.preventDefault();
    const events = event.getCoalescedEvents?.() ?? [];
    for (const e of events.length > 0 ? events : [event]) {
      this.addPoint(this.toLogical(e));
    }
    this.scheduleRedraw();
    this.changed("draw");
  }

  addPoint(point) {
    const points = this.active.stroke.points;
    const last = points[points.length - 1];
    if (Math.hypot(point.x - last.x, point.y - last.y) >= 0.75) points.push(point);
  }

  onEnd(event) {
    if (this.active === null || event.pointerId !== this.active.pointerId) return;
    if (event.type === "pointerup") this.addPoint(this.toLogical(event));
    this.active = null;
    this.scheduleRedraw();
    this.changed("end");
  }

  undo() {
    if (this.strokes.length === 0) return;
    this.strokes.pop();
    this.active = null;
    this.redraw();
    this.changed("undo");
  }

  clear() {
    if (this.strokes.length === 0) return;
    this.strokes = [];
    this.active = null;
    this.redraw();
    this.changed("clear");
  }

  setBrush(width) {
    this.brush = width;
  }

  changed(reason) {
    this.dispatchEvent(new CustomEvent("change", { detail: { reason } }));
  }

  scheduleRedraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.redraw();
    });
  }

  redraw() {
    const { ctx, canvas } = this;
    if (!ctx || canvas.width === 0) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = this.colours.background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(canvas.width / this.width, 0, 0, canvas.height / this.height, 0, 0);
    this.drawGuide();
    traceStrokes(ctx, this.strokes, this.colours.ink);
  }

  /** In number mode a faint baseline helps to write digits of one size on one line. */
  drawGuide() {
    const { ctx } = this;
    if (this.width <= this.height) return;
    ctx.save();
    ctx.strokeStyle = this.colours.guide;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([6, 6]);
    ctx.beginPath();
    ctx.moveTo(14, this.height * 0.88);
    ctx.lineTo(this.width - 14, this.height * 0.88);
    ctx.stroke();
    ctx.restore();
  }

  /** The size of the picture sent: the boxes the server answers with are in its pixels. */
  get sentSize() {
    return {
      width: Math.round(this.width * SENT_SCALE),
      height: Math.round(this.height * SENT_SCALE),
    };
  }

  /** The drawing as the server reads it: a greyscale PNG Blob, half the logical size,
   * black ink on white. */
  toPng() {
    const out = document.createElement("canvas");
    Object.assign(out, this.sentSize);
    const ctx = out.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.setTransform(SENT_SCALE, 0, 0, SENT_SCALE, 0, 0);
    traceStrokes(ctx, this.strokes, "#000");
    if (!canEncodeGrey()) return new Promise((resolve) => out.toBlob(resolve, "image/png"));
    return greyPng(ctx.getImageData(0, 0, out.width, out.height));
  }
}
