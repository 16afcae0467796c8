// Photo input: every way a picture can arrive (file picker, phone camera, drag
// and drop anywhere on the page, paste from the clipboard) ends in one callback,
// and the chosen picture is shown with the digit boxes drawn over it.

/** The first image-like file of a DataTransfer (drop) or clipboard. */
function firstFile(transfer) {
  if (!transfer) return null;
  const files = Array.from(transfer.files ?? []);
  return files.find((f) => f.type.startsWith("image/")) ?? files[0] ?? null;
}

/**
 * @param {{dropzone: HTMLElement, inputs: HTMLInputElement[], onFile: (file: File) => void}} parts
 */
export function listenForPhotos({ dropzone, inputs, onFile }) {
  for (const input of inputs) {
    input.addEventListener("change", () => {
      const file = input.files?.[0];
      input.value = ""; // choosing the same file again must fire again
      if (file) onFile(file);
    });
  }

  // Keyboard: Enter or Space on the drop zone opens the file picker.
  dropzone.addEventListener("keydown", (event) => {
    if (event.target === dropzone && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      const picker = inputs[0];
      if (typeof picker.showPicker === "function") picker.showPicker();
      else picker.click();
    }
  });

  // Dropping a file anywhere must not make the browser navigate to it.
  let depth = 0;
  const hasFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth += 1;
    dropzone.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropzone.classList.remove("dragging");
  });
  document.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  document.addEventListener("drop", (event) => {
    depth = 0;
    dropzone.classList.remove("dragging");
    const file = firstFile(event.dataTransfer);
    if (!file) return;
    event.preventDefault();
    onFile(file);
  });

  document.addEventListener("paste", (event) => {
    const file = firstFile(event.clipboardData);
    if (!file) return; // pasted text: not ours
    event.preventDefault();
    onFile(file);
  });
}

/** Shows the chosen photo; resolves with its displayed size once decoded. */
export class PhotoView {
  constructor(stage, image) {
    this.stage = stage;
    this.image = image;
    this.url = null;
  }

  /** @returns {Promise<{width: number, height: number} | null>} null when the browser cannot show it */
  show(file) {
    this.reset();
    this.url = URL.createObjectURL(file);
    const image = this.image;
    const loaded = new Promise((resolve) => {
      image.onload = () => resolve({ width: image.naturalWidth, height: image.naturalHeight });
      image.onerror = () => resolve(null);
    });
    image.alt = `Your photo${file.name ? `: ${file.name}` : ""}`;
    image.src = this.url;
    this.stage.hidden = false;
    return loaded.then((size) => {
      if (size === null) this.stage.hidden = true;
      return size;
    });
  }

  reset() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.image.onload = null;
    this.image.onerror = null;
    this.image.removeAttribute("src");
    this.stage.hidden = true;
  }
}
