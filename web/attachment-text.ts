/**
 * Words and checks for files in the UI (decision 0018): the size limit every way of adding a file
 * shares (picker, paste, drop, camera), readable sizes, and what kind of file a type is. No
 * bytes are read here.
 */
import { MAX_ATTACHMENT_BYTES } from '../workers/protocol.ts'

export { MAX_ATTACHMENT_BYTES }

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** null when the file may be sent, else the sentence to show (same for every way in). */
export function checkAttachmentSize(file: { name: string; size: number }): string | null {
  if (file.size <= MAX_ATTACHMENT_BYTES) return null
  return `“${file.name}” (${formatSize(file.size)}) is over the ${
    formatSize(MAX_ATTACHMENT_BYTES)
  } limit for files.`
}

export type FileKind = 'image' | 'video' | 'pdf' | 'document'

export function fileKind(mime: string): FileKind {
  if (mime.startsWith('image/')) return 'image'
  if (mime.startsWith('video/')) return 'video'
  if (mime === 'application/pdf') return 'pdf'
  return 'document'
}

export const FILE_KIND_LABEL: Record<FileKind, string> = {
  image: 'Photo',
  video: 'Video',
  pdf: 'PDF',
  document: 'Document',
}
