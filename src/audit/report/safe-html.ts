// HTML built only through the `markup` template tag: every interpolated value is escaped unless
// it is itself SafeHtml made by the tag, so record text (caller subjects, cloud messages, target
// values) can never become markup. There is deliberately no way to mark an arbitrary string safe.
// (Not named `html`: formatters would reformat the templates, and the page's inline script and
// style are allowed by their hashes, so they must stay byte for byte as written.)

const BRAND = Symbol('SafeHtml');

export interface SafeHtml {
  readonly [BRAND]: true;
  readonly text: string;
}

type Interpolation =
  SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (character) => ESCAPES[character] ?? character);
}

function isSafe(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && BRAND in value;
}

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isSafe(value)) return value.text;
  return value.map(render).join('');
}

export function markup(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? '');
  });
  return { [BRAND]: true, text };
}

/**
 * A constant of this module's callers (the report's own stylesheet and script): template
 * literals without interpolations only, so record text cannot pass through here.
 */
export function trusted(strings: TemplateStringsArray): SafeHtml {
  if (strings.length !== 1) throw new TypeError('trusted`…` takes no interpolations');
  return { [BRAND]: true, text: strings[0] ?? '' };
}

/**
 * JSON for a `<script type="application/json">` data block: every `<` written as `\u003c`, so
 * no record text can close the block (`</script>`) or open a comment, and U+2028/2029 escaped.
 */
export function jsonData(value: unknown): SafeHtml {
  const json = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return { [BRAND]: true, text: json };
}
