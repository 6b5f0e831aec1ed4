// DOM helpers: elements are built, never parsed from strings, so no text from the API can become markup.

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no element #${id}`);
  return el as T;
};

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<
  string,
  string | number | boolean | null | undefined | Record<string, string | undefined> | EventListener
>;

/** `h('td', { class: 'x', 'aria-label': '…', dataset: { id }, onclick }, child, 'text', …)`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') {
      for (const [k, v] of Object.entries(value as Record<string, string | undefined>))
        if (v !== undefined) el.dataset[k] = v;
    } else if (name.startsWith('on') && typeof value === 'function')
      el.addEventListener(name.slice(2), value as EventListener);
    else if (name === 'text') el.textContent = String(value);
    else if (name === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children: a list is spread (never passed as one argument). */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function openDialog(dialog: HTMLDialogElement): void {
  if (!dialog.open) {
    (dialog as HTMLDialogElement & { returnFocus?: Element | null }).returnFocus = document.activeElement;
    dialog.showModal();
  }
}
