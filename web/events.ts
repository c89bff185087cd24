/**
 * The custom events wl-* elements dispatch, declared in HTMLElementEventMap so listeners are
 * typed. All bubble and are composed (they cross shadow roots up to wl-shell / wl-app / main).
 */
import type { StatusSnapshot } from '../workers/protocol.ts'

export type ShellView = 'list' | 'conversation' | 'new' | 'add-person' | 'organisation' | 'admin'

export type NavigateDetail = { view: ShellView; conversationId?: string }

declare global {
  interface HTMLElementEventMap {
    /** A call returned a new status snapshot (setup, enroll, unlock, lock). */
    'wl-status': CustomEvent<StatusSnapshot>
    'wl-navigate': CustomEvent<NavigateDetail>
    /** "Use here" on the other-tab notice. */
    'wl-use-here': Event
    /** The user asked to reload onto a newer build. */
    'wl-reload': Event
    'wl-dismiss': Event
    /** Locked: main.ts replaces the worker so no key survives in its memory. */
    'wl-restart-worker': Event
    /** The composer handed a message to the worker (it is queued or sent). */
    'wl-sent': Event
    /** Too many wrong PINs: the worker erased this device's data (show enrollment and why). */
    'wl-wiped': Event
    /** Shared-device mode: lock this person's worker and show who else can unlock (main.ts). */
    'wl-switch-user': Event
    'wl-pick-profile': CustomEvent<string>
    'wl-add-profile': Event
    /** The lock-screen label a person typed while enrolling (saved once enrollment succeeds). */
    'wl-profile-label': CustomEvent<string>
  }
}

export function emit<K extends 'wl-status' | 'wl-navigate'>(
  from: EventTarget,
  name: K,
  detail: HTMLElementEventMap[K]['detail'],
): void {
  from.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }))
}

export function emitPlain(from: EventTarget, name: 'wl-use-here' | 'wl-reload' | 'wl-dismiss' | 'wl-sent' | 'wl-restart-worker' | 'wl-wiped' | 'wl-switch-user'): void {
  from.dispatchEvent(new Event(name, { bubbles: true, composed: true }))
}
