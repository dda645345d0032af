// png-small.mjs IN.png OUT.png - make a screenshot small enough to keep
// in docs/img: its colours are reduced to a palette of at most 256 (the
// most frequent ones; every other colour takes the nearest of those,
// which for a flat user interface only touches the edges of text) and it
// is written as an indexed PNG at the highest compression. Node alone, no
// package. Used for the images of docs/web.md.
import { readFileSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';

const [src, dst] = process.argv.slice(2);
if (!src || !dst) { console.error('usage: png-small.mjs IN.png OUT.png'); process.exit(2); }
const buf = readFileSync(src);
let pos = 8, w = 0, h = 0, type = 0;
const idat = [];
while (pos < buf.length) {
  const len = buf.readUInt32BE(pos), name = buf.toString('latin1', pos + 4, pos + 8);
  const data = buf.subarray(pos + 8, pos + 8 + len);
  if (name === 'IHDR') {
    w = data.readUInt32BE(0); h = data.readUInt32BE(4); type = data[9];
    if (data[8] !== 8 || (type !== 2 && type !== 6) || data[12] !== 0) throw new Error('need 8-bit RGB or RGBA, not interlaced');
  } else if (name === 'IDAT') idat.push(data);
  pos += 12 + len;
}
const bpp = type === 6 ? 4 : 3, stride = w * bpp;
const raw = zlib.inflateSync(Buffer.concat(idat));
const px = Buffer.alloc(h * stride);
for (let y = 0; y < h; y++) { // undo the row filters (PNG spec, 9.2)
  const f = raw[y * (stride + 1)], row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
  for (let x = 0; x < stride; x++) {
    const a = x >= bpp ? px[y * stride + x - bpp] : 0, b = y ? px[(y - 1) * stride + x] : 0;
    const c = x >= bpp && y ? px[(y - 1) * stride + x - bpp] : 0;
    let v = row[x];
    if (f === 1) v += a; else if (f === 2) v += b; else if (f === 3) v += (a + b) >> 1;
    else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
    px[y * stride + x] = v & 255;
  }
}
const key = i => (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
const count = new Map();
for (let i = 0; i < px.length; i += bpp) count.set(key(i), (count.get(key(i)) || 0) + 1);
const pal = [...count.entries()].sort((p, q) => q[1] - p[1]).slice(0, 256).map(e => e[0]);
const index = new Map();
for (const c of count.keys()) {
  let best = 0, bd = Infinity;
  for (let j = 0; j < pal.length; j++) {
    const dr = (c >> 16) - (pal[j] >> 16), dg = ((c >> 8) & 255) - ((pal[j] >> 8) & 255), db = (c & 255) - (pal[j] & 255);
    const d = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
    if (d < bd) { bd = d; best = j; if (!d) break; }
  }
  index.set(c, best);
}
const out = Buffer.alloc(h * (w + 1));
for (let y = 0; y < h; y++)
  for (let x = 0; x < w; x++) out[y * (w + 1) + 1 + x] = index.get(key(y * stride + x * bpp));
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = b => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (name, data) => {
  const head = Buffer.alloc(8); head.writeUInt32BE(data.length, 0); head.write(name, 4, 'latin1');
  const tail = Buffer.alloc(4); tail.writeUInt32BE(crc(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, tail]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 3;
const plte = Buffer.from(pal.flatMap(c => [c >> 16, (c >> 8) & 255, c & 255]));
writeFileSync(dst, Buffer.concat([buf.subarray(0, 8), chunk('IHDR', ihdr), chunk('PLTE', plte),
  chunk('IDAT', zlib.deflateSync(out, { level: 9, memLevel: 9 })), chunk('IEND', Buffer.alloc(0))]));
console.log(`${dst}: ${w}x${h}, ${count.size} colours -> ${pal.length}, ${buf.length} -> ${readFileSync(dst).length} bytes`);
