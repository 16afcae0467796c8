// A canvas as an 8-bit greyscale PNG, the one channel the server reads.
//
// A canvas exports only RGBA PNGs (toDataURL, toBlob): four bytes a pixel that the
// server inflates and then mixes back down to grey. The drawing is black on white,
// so its red channel already is the grey image; written as a greyscale PNG it is a
// quarter of the bytes to inflate, and the server skips the colour conversion.
//
// The file is the PNG signature and three chunks (IHDR, IDAT, IEND), each with its
// CRC-32. IDAT is the zlib stream of the rows, each row led by filter type 0
// (none); the browser's CompressionStream("deflate") writes exactly that format.

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const BIT_DEPTH = 8;
const GREYSCALE = 0; // PNG colour type 0: one grey sample a pixel
const NO_FILTER = 0;

// CRC-32 as PNG defines it (the polynomial 0xedb88320, reflected), table-driven.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i += 1) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One chunk: length, type, data, and the CRC of type and data. */
function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i += 1) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function header(width, height) {
  const data = new Uint8Array(13); // compression, filter and interlace methods stay 0
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data[8] = BIT_DEPTH;
  data[9] = GREYSCALE;
  return data;
}

/** The rows of an RGBA ImageData's red channel, each led by its filter byte. */
function greyRows({ data, width, height }) {
  const rows = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y += 1) {
    const row = y * (width + 1);
    rows[row] = NO_FILTER;
    for (let x = 0; x < width; x += 1) rows[row + 1 + x] = data[(y * width + x) * 4];
  }
  return rows;
}

async function deflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Whether this browser has CompressionStream (2023 on: Chrome 80, Firefox 113, Safari
 * 16.4); without it the page sends the canvas's own RGBA PNG, which the server reads too. */
export function canEncodeGrey() {
  return typeof CompressionStream === "function";
}

/**
 * A black-on-white ImageData as a greyscale PNG Blob (`image/png`).
 * @param {ImageData} image
 * @returns {Promise<Blob>}
 */
export async function greyPng(image) {
  const compressed = await deflate(greyRows(image));
  const parts = [
    new Uint8Array(SIGNATURE),
    chunk("IHDR", header(image.width, image.height)),
    chunk("IDAT", compressed),
    chunk("IEND", new Uint8Array(0)),
  ];
  return new Blob(parts, { type: "image/png" });
}
