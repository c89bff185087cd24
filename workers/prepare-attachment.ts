/**
 * Makes a picked, pasted, dropped or camera file ready to seal (issue 9, DESIGN §1 rule 3): an
 * image is decoded and drawn again on an OffscreenCanvas, so what is sent carries pixels only —
 * no EXIF, GPS, camera or editing metadata survives the re-encoding — and a small JPEG thumbnail
 * is made from it here, on the sender's device. An image this browser cannot decode is refused
 * rather than sent with its metadata. Other files (PDFs, video, documents) are sent as they are.
 * Browser worker only (OffscreenCanvas, createImageBitmap); holds no key.
 */
import type { AttachmentInput } from './core/attachments.ts'

/** Longest side of a sent image (larger photos are scaled down) and of its thumbnail, in pixels. */
export const MAX_IMAGE_SIDE = 4096
export const THUMB_SIDE = 320

const fail = (code: string, message: string) => Object.assign(new Error(message), { code })

async function encode(
  bitmap: ImageBitmap,
  side: number,
  type: string,
  quality: number,
): Promise<Uint8Array> {
  const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height))
  const w = Math.max(1, Math.round(bitmap.width * scale))
  const h = Math.max(1, Math.round(bitmap.height * scale))
  const canvas = new OffscreenCanvas(w, h)
  const g = canvas.getContext('2d')
  if (!g) throw fail('attachment/image-unreadable', 'This image could not be prepared for sending')
  if (type === 'image/jpeg') {
    g.fillStyle = '#fff' // JPEG has no transparency: transparent parts become white, not black
    g.fillRect(0, 0, w, h)
  }
  g.drawImage(bitmap, 0, 0, w, h)
  return new Uint8Array(await (await canvas.convertToBlob({ type, quality })).arrayBuffer())
}

/** `photo.HEIC` sent as JPEG becomes `photo.jpg`; the name is only ever shown, never trusted. */
function renamed(name: string, type: string): string {
  const ext = type === 'image/png' ? '.png' : '.jpg'
  const base = name.replace(/\.[A-Za-z0-9]{1,5}$/, '') || 'image'
  return base + ext
}

export async function prepareAttachment(
  bytes: Uint8Array,
  mime: string,
  name: string,
): Promise<AttachmentInput> {
  const type = mime.toLowerCase() || 'application/octet-stream'
  if (!type.startsWith('image/')) return { bytes, mime: type, name }
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type }), {
      imageOrientation: 'from-image',
    })
  } catch {
    throw fail(
      'attachment/image-unreadable',
      'This image type cannot be cleaned of its location and camera details here; send a JPEG or PNG, or take the photo in Wardline',
    )
  }
  try {
    const outType = type === 'image/png' ? 'image/png' : 'image/jpeg'
    const cleaned = await encode(bitmap, MAX_IMAGE_SIDE, outType, 0.9)
    const thumb = await encode(bitmap, THUMB_SIDE, 'image/jpeg', 0.7)
    return { bytes: cleaned, mime: outType, name: renamed(name, outType), thumb }
  } finally {
    bitmap.close()
  }
}
