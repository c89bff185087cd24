/**
 * Shared Lit styles: buttons, fields, forms and screen layout for every wl-* element. Adopted
 * stylesheets only — the CSP (`style-src 'self'`) forbids inline `style=` attributes.
 */
import { css } from 'lit'

export const baseStyles = css`
  :host { font-family: var(--wl-font); color: var(--wl-text); }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  h1, h2, h3 { margin: 0 0 0.5rem; line-height: 1.25; }
  h1 { font-size: 1.5rem; }
  h2 { font-size: 1.25rem; }
  p { margin: 0 0 0.75rem; }
  .muted { color: var(--wl-muted); }
  .mono { font-family: var(--wl-mono); }
  button, .button {
    font: inherit; font-weight: 600;
    min-height: var(--wl-tap); min-width: var(--wl-tap);
    padding: 0 1.1rem; border-radius: var(--wl-radius);
    border: 1px solid var(--wl-border); background: var(--wl-surface); color: var(--wl-text);
    cursor: pointer; display: inline-flex; align-items: center; justify-content: center; gap: 0.4rem;
  }
  button:hover { border-color: var(--wl-primary); }
  button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible, a:focus-visible {
    outline: 3px solid var(--wl-focus, #f2b705); outline-offset: 2px;
  }
  button.primary { background: var(--wl-primary); border-color: var(--wl-primary); color: var(--wl-on-primary); }
  button.primary:hover { background: var(--wl-primary-hover); }
  button.quiet { border-color: transparent; background: transparent; color: var(--wl-primary); }
  button.quiet:hover { background: var(--wl-primary-soft); }
  button:disabled { opacity: 0.55; cursor: default; }
  label { display: block; font-weight: 600; margin: 0 0 0.3rem; }
  .field { margin: 0 0 1rem; }
  .hint { font-size: 0.875rem; color: var(--wl-muted); margin-top: 0.25rem; font-weight: 400; }
  input, textarea, select {
    font: inherit; color: inherit; width: 100%; min-height: var(--wl-tap);
    padding: 0.6rem 0.75rem; border: 1px solid var(--wl-border); border-radius: var(--wl-radius);
    background: var(--wl-surface);
  }
  .error {
    color: var(--wl-danger); background: var(--wl-danger-soft); border-radius: var(--wl-radius);
    padding: 0.6rem 0.8rem; margin: 0 0 1rem; font-weight: 600;
  }
`

/** Full-page centred card for setup, enrollment, unlock and the other-tab notice. */
export const cardScreenStyles = css`
  :host { display: flex; justify-content: center; align-items: flex-start; min-height: 100%; padding: 1rem; overflow-y: auto; }
  .card {
    width: 100%; max-width: 28rem; margin-top: max(1rem, 8vh);
    background: var(--wl-surface); border: 1px solid var(--wl-border); border-radius: 14px; padding: 1.5rem;
  }
  .brand { display: flex; align-items: center; gap: 0.5rem; color: var(--wl-primary); font-weight: 700; margin-bottom: 1rem; }
  .brand img { width: 32px; height: 32px; border-radius: 8px; }
  form button.primary { width: 100%; margin-top: 0.5rem; }
`

/** The head of a side view with a back button (add person, organisation, new conversation). */
export const sideViewStyles = css`
  .head { display: flex; align-items: center; gap: 0.25rem; padding: 0.25rem 0.75rem 0.25rem 0.25rem; border-bottom: 1px solid var(--wl-border); min-height: 56px; }
  .head h2 { margin: 0 0 0 0.5rem; font-size: 1.1rem; }
`

/** Admin console lists: cards, state chips and action rows (wl-admin-*). */
export const adminStyles = css`
  .cards { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.75rem; }
  .card {
    background: var(--wl-surface); border: 1px solid var(--wl-border); border-radius: 12px; padding: 0.85rem 1rem;
    min-width: 0;
  }
  .card-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.35rem 0.75rem; margin-bottom: 0.35rem; }
  .card-head h3 { margin: 0; font-size: 1.05rem; overflow-wrap: anywhere; }
  .meta { font-size: 0.9rem; color: var(--wl-muted); overflow-wrap: anywhere; }
  .chip {
    display: inline-block; font-size: 0.8rem; font-weight: 700; padding: 0.1rem 0.55rem; border-radius: 999px;
    background: var(--wl-primary-soft); color: var(--wl-primary); white-space: nowrap;
  }
  .chip.ok { background: color-mix(in srgb, var(--wl-ok) 9%, transparent); color: var(--wl-ok); }
  .chip.warn { background: color-mix(in srgb, var(--wl-warn) 18%, transparent); color: var(--wl-warn); }
  .chip.danger { background: var(--wl-danger-soft); color: var(--wl-danger); }
  .actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 0.6rem; }
  .actions button { padding: 0 0.9rem; }
  button.danger-outline { color: var(--wl-danger); border-color: var(--wl-danger); }
  .row-tools { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin-bottom: 1rem; }
  .row-tools input { flex: 1 1 12rem; width: auto; }
  .empty { color: var(--wl-muted); padding: 1rem 0; }
  .mono { font-family: var(--wl-mono); font-size: 0.85rem; }
`
