// Small helpers the page's views share: building an element, and a probability
// as a whole percentage.

/** A new <tag> with an optional class and text. */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** 0.934 -> "93%". */
export const percent = (p) => `${Math.round(p * 100)}%`;
