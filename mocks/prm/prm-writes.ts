import { isCustomField, PRM_OBJECTS, MDF_CLAIM_OBJECT, resolveWriteField, type PrmField, type PrmObject } from './prm-objects.ts';

/** One entry of the PRM's error envelope: `{ code, fields, message }`. */
export interface PrmErrorItem {
  code: string;
  fields?: string[];
  message: string;
}

/** A write turned into record keys, or every problem found with it. */
export type WriteCheck = { ok: true; set: Record<string, unknown> } | { ok: false; errors: PrmErrorItem[] };

/**
 * Turns a write body (PascalCase API names, as the PRM takes them) into the record's keys (camelCase),
 * checking every field: unknown names (a camelCase key is a classic client bug), read-only fields,
 * values of the wrong type, picklist values outside the list, and on create the required fields.
 * Every problem is reported at once, as the PRM's envelope carries a list.
 */
export function checkWrite(object: PrmObject, body: Record<string, unknown>, mode: 'create' | 'update'): WriteCheck {
  const errors: PrmErrorItem[] = [];
  const set: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    const field = resolveWriteField(object, name);
    if (!field) {
      const hint = object.fields.find((f) => f.key === name || f.name.toLowerCase() === name.toLowerCase());
      errors.push({
        code: 'InvalidField',
        fields: [name],
        message: `${object.name} has no field '${name}'${hint ? `; writes name fields in PascalCase, e.g. '${hint.name}'` : ''}`,
      });
      continue;
    }
    if (field.readOnly) {
      errors.push({ code: 'ReadOnlyField', fields: [field.name], message: `${field.name} is set by the PRM and cannot be written` });
      continue;
    }
    const problem = isCustomField(field.name) ? undefined : checkValue(field, value, mode);
    if (problem) errors.push({ code: 'InvalidValue', fields: [field.name], message: problem });
    else set[field.key] = value;
  }
  if (mode === 'create') {
    for (const field of object.fields) {
      if (field.required && (body[field.name] === undefined || body[field.name] === null) && !errors.some((e) => e.fields?.includes(field.name))) {
        errors.push({ code: 'RequiredField', fields: [field.name], message: `${field.name} is required` });
      }
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, set };
}

/** Why this value does not fit the field, or undefined when it does. */
function checkValue(field: PrmField, value: unknown, mode: 'create' | 'update'): string | undefined {
  if (value === null) return field.required && mode === 'update' ? `${field.name} is required and cannot be cleared` : undefined;
  const shown = JSON.stringify(value);
  switch (field.type) {
    case 'integer':
      return Number.isInteger(value) ? undefined : `${field.name} takes a whole number, got ${shown}`;
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${field.name} takes a number, got ${shown}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${field.name} takes true or false, got ${shown}`;
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) ? undefined : `${field.name} takes a date (YYYY-MM-DD), got ${shown}`;
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : `${field.name} takes a date and time, got ${shown}`;
    case 'email':
      return typeof value === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? undefined : `${field.name} takes an email address, got ${shown}`;
    case 'picklist':
      return typeof value === 'string' && field.values?.includes(value)
        ? undefined
        : `${shown} is not a valid value for ${field.name}; allowed: ${(field.values ?? []).join(', ')}`;
    case 'attachments':
      return checkAttachments(field, value);
    case 'string':
    case 'textarea':
      return typeof value === 'string' ? undefined : `${field.name} takes text, got ${shown}`;
  }
}

/** A claim's attachments: a list of `{ name, kind, url }`, each kind one of the field's values. */
function checkAttachments(field: PrmField, value: unknown): string | undefined {
  if (!Array.isArray(value)) return `${field.name} takes a list of { name, kind, url }, got ${JSON.stringify(value)}`;
  for (const [index, item] of value.entries()) {
    const at = `${field.name}[${index}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) return `${at} takes { name, kind, url }, got ${JSON.stringify(item)}`;
    const { name, kind, url } = item as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') return `${at}.name takes text, got ${JSON.stringify(name)}`;
    if (typeof kind !== 'string' || !field.values?.includes(kind)) return `${at}.kind ${JSON.stringify(kind)} is not valid; allowed: ${(field.values ?? []).join(', ')}`;
    if (typeof url !== 'string' || !URL.canParse(url)) return `${at}.url takes a URL, got ${JSON.stringify(url)}`;
  }
  return undefined;
}

/**
 * The values of a claim as the portal's form or ops set them (camelCase keys, as the harness's
 * `submit_claim` / `change_claim` take them; `/_mock/prm/claims` checks the same rules in its schema), checked as the PRM's API checks a
 * write: a Missing POP outside the picklist or a paid date that is not YYYY-MM-DD is refused, naming the
 * field, instead of being stored where no real PRM would hold it. "" or null clears a field; keys that
 * are no claim field (or set by the PRM) are left to the caller.
 */
export function claimValueProblems(values: Record<string, unknown>): string[] {
  const object = PRM_OBJECTS[MDF_CLAIM_OBJECT]!;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const field = object.fields.find((f) => f.key === key);
    if (!field || field.readOnly || value === undefined || value === null || value === '') continue;
    const problem = checkValue(field, value, 'update');
    if (problem) problems.push(`${key}: ${problem}`);
  }
  return problems;
}
