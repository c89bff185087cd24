/**
 * The PIN/passphrase + confirmation fields shared by setup and enrollment, as a template part
 * (not an element) so the inputs stay inside the caller's <form> and Enter submits it.
 */
import { html } from 'lit'

import { MIN_PIN_LENGTH } from '../workers/protocol.ts'

export { MIN_PIN_LENGTH }

/** What is wrong with a new PIN, in words, or null when it is acceptable. */
export function checkNewPin(pin: string, confirm: string): string | null {
  if (pin.length < MIN_PIN_LENGTH) return `Use at least ${MIN_PIN_LENGTH} characters.`
  if (pin !== confirm) return 'The two entries do not match.'
  return null
}

export function renderPinFields(onInput: () => void) {
  return html`
    <div class="field">
      <label for="pin">PIN or passphrase</label>
      <input id="pin" name="pin" type="password" autocomplete="new-password" required
        minlength=${MIN_PIN_LENGTH} aria-describedby="pin-hint" @input=${onInput} />
      <div class="hint" id="pin-hint">At least ${MIN_PIN_LENGTH} characters. It unlocks Wardline on this device only.</div>
    </div>
    <div class="field">
      <label for="confirm">Confirm PIN or passphrase</label>
      <input id="confirm" name="confirm" type="password" autocomplete="new-password" required @input=${onInput} />
    </div>
  `
}

/** Reads a named field of a submitted form as a string. */
export function formText(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name)
  return typeof value === 'string' ? value : ''
}
