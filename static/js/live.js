// Live prediction: run a request soon after the input changes, but not on every
// change. Debounced (`wait` after the last change) with a ceiling (`maxWait`
// while changes keep coming, so the answer updates during a long stroke). Each
// new request aborts the one in flight, and only the newest answer is shown.

export class LiveRequest {
  /**
   * @param {(signal: AbortSignal) => Promise<any>} task
   * @param {{wait?: number, maxWait?: number, onResult: Function, onError: Function,
   *          onBusy?: Function}} options
   */
  constructor(task, { wait = 160, maxWait = 500, onResult, onError, onBusy = () => {} }) {
    this.task = task;
    this.wait = wait;
    this.maxWait = maxWait;
    this.onResult = onResult;
    this.onError = onError;
    this.onBusy = onBusy;
    this.timer = 0;
    this.firstChange = 0;
    this.controller = null;
  }

  /** The input changed: run the task after a pause (or at the latest after maxWait). */
  schedule() {
    const now = performance.now();
    if (!this.timer) this.firstChange = now;
    clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(this.wait, this.firstChange + this.maxWait - now));
    this.timer = setTimeout(() => this.run(), delay);
    this.onBusy(true); // an answer is on its way
  }

  /** Run now (e.g. when a stroke ends), dropping any pending run. */
  run() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.onBusy(true);
    this.task(controller.signal).then(
      (result) => {
        if (this.controller !== controller) return; // a newer request was started
        this.controller = null;
        this.onBusy(false);
        this.onResult(result);
      },
      (error) => {
        if (error?.name === "AbortError" || this.controller !== controller) return;
        this.controller = null;
        this.onBusy(false);
        this.onError(error);
      },
    );
  }

  /** Stop everything: no pending run, the request in flight aborted. */
  cancel() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.controller?.abort();
    this.controller = null;
    this.onBusy(false);
  }
}
