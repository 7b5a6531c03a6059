import { isSalesforceId } from './salesforce-ids.ts';
import { describedField, isCustomField, type SfField, type SfObject } from './salesforce-objects.ts';

/** One entry of Salesforce's error array: `{ message, errorCode, fields }`. */
export interface SfErrorItem {
  message: string;
  errorCode: string;
  fields: string[];
}

/** A write with its fields in the API names' case, or the errors the org would answer. */
export type SfWriteCheck = { ok: true; set: Record<string, unknown> } | { ok: false; errors: SfErrorItem[] };

/**
 * Checks a create or update body the way the org does: field names exist (read in any case, stored in
 * the API name's case), are writable, values have the field's type, restricted picklists hold one of
 * their values, references point at a record that exists, and a create has every required field.
 * `attributes` (the type marker of collection bodies) is ignored.
 */
export function checkSObjectWrite(
  object: SfObject,
  body: Record<string, unknown>,
  mode: 'create' | 'update',
  recordExists: (object: string, id: string) => boolean,
  /** The record's current keys (update of an undescribed object): a new spelling of an existing field reuses its case. */
  existingKeys: readonly string[] = [],
): SfWriteCheck {
  const errors: SfErrorItem[] = [];
  const set: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === 'attributes') continue;
    const field = describedField(object, name);
    if (field?.readOnly) {
      errors.push({
        errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
        message: `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your Profile or Permission Set.`,
        fields: [field.name],
      });
      continue;
    }
    if (!field) {
      if (object.fields && !isCustomField(name)) {
        errors.push({ errorCode: 'INVALID_FIELD', message: `No such column '${name}' on sobject of type ${object.name}`, fields: [] });
        continue;
      }
      set[existingKeys.find((k) => k.toLowerCase() === name.toLowerCase()) ?? name] = value;
      continue;
    }
    const problem = checkValue(field, value, recordExists);
    if (problem) errors.push(problem);
    else set[field.name] = value;
  }
  for (const field of object.fields ?? []) {
    const given = set[field.name];
    const missing = mode === 'create' ? given === undefined || given === null : given === null;
    if (field.required && missing && !errors.some((e) => e.fields.includes(field.name))) {
      errors.push({ errorCode: 'REQUIRED_FIELD_MISSING', message: `Required fields are missing: [${field.name}]`, fields: [field.name] });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, set };
}

function checkValue(field: SfField, value: unknown, recordExists: (object: string, id: string) => boolean): SfErrorItem | undefined {
  if (value === null) return undefined;
  const wrongType = (typeName: string): SfErrorItem => ({
    errorCode: 'JSON_PARSER_ERROR',
    message: `Cannot deserialize instance of ${typeName} from ${JSON.stringify(value)} (field ${field.name})`,
    fields: [field.name],
  });
  switch (field.type) {
    case 'currency':
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType(field.type);
      if (field.minValue !== undefined && value < field.minValue) {
        return { errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: `${field.label} must be at least ${field.minValue}`, fields: [field.name] };
      }
      return undefined;
    case 'int':
      return Number.isInteger(value) ? undefined : wrongType('int');
    case 'boolean':
      return typeof value === 'boolean' ? undefined : wrongType('boolean');
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? undefined : wrongType('date');
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : wrongType('datetime');
    case 'reference':
      if (!isSalesforceId(value)) return { errorCode: 'MALFORMED_ID', message: `${field.label}: id value of incorrect type: ${String(value)}`, fields: [field.name] };
      if (field.referenceTo && !recordExists(field.referenceTo, value)) {
        return { errorCode: 'INVALID_CROSS_REFERENCE_KEY', message: `${field.label}: invalid cross reference id`, fields: [field.name] };
      }
      return undefined;
    case 'picklist':
      if (typeof value !== 'string') return wrongType('picklist');
      if (field.restrictedValues && !field.restrictedValues.includes(value)) {
        return { errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: `bad value for restricted picklist field: ${value}`, fields: [field.name] };
      }
      return undefined;
    case 'string':
    case 'textarea':
    case 'url':
      if (typeof value !== 'string') return wrongType('String');
      if (field.length !== undefined && value.length > field.length) {
        return { errorCode: 'STRING_TOO_LONG', message: `${field.label}: data value too large: ${value.slice(0, 40)}... (max length=${field.length})`, fields: [field.name] };
      }
      return undefined;
    case 'id':
      return undefined;
  }
}
