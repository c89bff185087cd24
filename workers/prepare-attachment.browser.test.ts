/**
 * prepareAttachment in real Chromium (decision 0018): a JPEG carrying an APP1 Exif segment with
 * GPS tags and a canary description comes out as a JPEG with no APP1, no Exif, no GPS tag and no
 * canary, scaled thumbnail beside it; a PNG's text chunk is gone too; a PDF passes unchanged; an
 * image the browser cannot decode is refused rather than sent with its metadata.
 */
import { MAX_IMAGE_SIDE, prepareAttachment, THUMB_SIDE } from './prepare-attachment.ts'

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

const has = (hay: Uint8Array, needle: number[] | string) => {
  const n = typeof needle === 'string' ? [...new TextEncoder().encode(needle)] : needle
  outer: for (let i = 0; i + n.length <= hay.length; i++) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer
    return true
  }
  return false
}

async function drawn(type: 'image/jpeg' | 'image/png', w: number, h: number): Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(w, h)
  const g = canvas.getContext('2d')!
  g.fillStyle = '#1f6f8b'
  g.fillRect(0, 0, w, h)
  g.fillStyle = '#f2b705'
  g.fillRect(w / 4, h / 4, w / 2, h / 2)
  return new Uint8Array(await (await canvas.convertToBlob({ type })).arrayBuffer())
}

/** APP1 "Exif" after SOI: IFD0 with ImageDescription = canary and a GPSInfo IFD (lat/long refs). */
function withExif(jpeg: Uint8Array, canary: string): Uint8Array {
  const desc = [...new TextEncoder().encode(canary + '\0')]
  if (desc.length % 2) desc.push(0)
  const t: number[] = []
  const u16 = (n: number) => t.push((n >> 8) & 255, n & 255)
  const u32 = (n: number) => t.push((n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)
  const descAt = 8 + 2 + 24 + 4
  const gpsAt = descAt + desc.length
  t.push(0x4d, 0x4d, 0, 42)
  u32(8)
  u16(2)
  u16(0x010e), u16(2), u32(desc.length), u32(descAt)
  u16(0x8825), u16(4), u32(1), u32(gpsAt)
  u32(0)
  t.push(...desc)
  u16(2)
  u16(1), u16(2), u32(2), t.push(0x4e, 0, 0, 0)
  u16(3), u16(2), u32(2), t.push(0x57, 0, 0, 0)
  u32(0)
  const payload = [...new TextEncoder().encode('Exif\0\0'), ...t]
  const len = payload.length + 2
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, len >> 8, len & 255, ...payload, ...jpeg.subarray(2)])
}

/** A PNG tEXt chunk inserted after IHDR (its CRC is not checked by decoders we rely on here). */
function withPngText(png: Uint8Array, canary: string): Uint8Array {
  const data = [...new TextEncoder().encode('Comment\0' + canary)]
  const chunk = [0, 0, (data.length >> 8) & 255, data.length & 255, ...new TextEncoder().encode('tEXt'), ...data, 0, 0, 0, 0]
  const ihdrEnd = 8 + 25
  return new Uint8Array([...png.subarray(0, ihdrEnd), ...chunk, ...png.subarray(ihdrEnd)])
}

async function sizeOf(bytes: Uint8Array, type: string): Promise<[number, number]> {
  const b = await createImageBitmap(new Blob([bytes as BlobPart], { type }))
  const out: [number, number] = [b.width, b.height]
  b.close()
  return out
}

describe('prepareAttachment', () => {
  it('re-encodes a geotagged JPEG: no APP1, Exif, GPS tag or canary survives; a thumbnail is made', async () => {
    const canary = 'GPS-CANARY-unit-7f3a'
    const input = withExif(await drawn('image/jpeg', 1200, 800), canary)
    assert(has(input, [0xff, 0xe1]) && has(input, canary) && has(input, [0x88, 0x25]), 'the fixture carries Exif and GPS')
    const out = await prepareAttachment(input, 'image/jpeg', 'wound.JPEG')
    assert(out.mime === 'image/jpeg' && out.name === 'wound.jpg', `${out.mime} ${out.name}`)
    assert(out.bytes[0] === 0xff && out.bytes[1] === 0xd8, 'a JPEG')
    assert(!has(out.bytes, [0xff, 0xe1]), 'no APP1 segment')
    assert(!has(out.bytes, 'Exif') && !has(out.bytes, canary) && !has(out.bytes, [0x88, 0x25]), 'no Exif, canary or GPSInfo tag')
    assert((await sizeOf(out.bytes, 'image/jpeg')).join() === '1200,800', 'same pixels size')
    const thumb = out.thumb!
    assert(!has(thumb, 'Exif') && !has(thumb, canary), 'thumbnail clean too')
    const [tw, th] = await sizeOf(thumb, 'image/jpeg')
    assert(tw === THUMB_SIDE && th === Math.round(800 * THUMB_SIDE / 1200), `thumbnail ${tw}×${th}`)
  })

  it('keeps a PNG a PNG without its text chunks, and scales very large images down', async () => {
    const canary = 'PNG-CANARY-unit-91c2'
    const input = withPngText(await drawn('image/png', 5000, 100), canary)
    assert(has(input, canary), 'the fixture carries the text chunk')
    const out = await prepareAttachment(input, 'image/png', 'screen.png')
    assert(out.mime === 'image/png' && out.name === 'screen.png', out.mime)
    assert(!has(out.bytes, canary) && !has(out.bytes, 'tEXt'), 'no text chunk')
    assert((await sizeOf(out.bytes, 'image/png'))[0] === MAX_IMAGE_SIDE, 'long side capped')
  })

  it('passes a PDF through unchanged, without a thumbnail', async () => {
    const pdf = new TextEncoder().encode('%PDF-1.4\n%%EOF\n')
    const out = await prepareAttachment(pdf, 'application/pdf', 'letter.pdf')
    assert(out.bytes === pdf && out.thumb === undefined && out.mime === 'application/pdf', 'unchanged')
  })

  it('refuses an image it cannot decode rather than send it with its metadata', async () => {
    let code = ''
    await prepareAttachment(new Uint8Array([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 1, 2, 3]), 'image/heic', 'IMG_0001.HEIC')
      .catch((e: { code?: string }) => (code = e.code ?? ''))
    assert(code === 'attachment/image-unreadable', code)
  })
})
