/**
 * Whether a Content-Type header says UTF-8 JSON: `application/json` (any case), whose `charset`, if it
 * names one, is UTF-8. A webhook body is read as UTF-8 JSON and signed as bytes, so a sender that says
 * anything else (a form, text, another charset) is refused with 415 before its body is read, instead of
 * having its bytes reinterpreted.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [mediaType, ...parameters] = header.split(';');
  if (mediaType!.trim().toLowerCase() !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name = '', value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') return true;
    return ['utf-8', 'utf8'].includes(value.trim().replace(/^"(.*)"$/, '$1').toLowerCase());
  });
}
