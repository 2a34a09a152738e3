/** A contact property as the emulator keeps it. */
export interface PropertyDefinition {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  hasUniqueValue: boolean;
  options: { label: string; value: string }[];
}

/** The field types HubSpot allows for each property type. */
export const FIELD_TYPES_BY_TYPE: ReadonlyMap<string, readonly string[]> = new Map([
  ['string', ['text', 'textarea', 'phonenumber']],
  ['number', ['number']],
  ['date', ['date']],
  ['datetime', ['date']],
  ['enumeration', ['select', 'radio', 'checkbox', 'booleancheckbox']],
  ['bool', ['booleancheckbox']],
]);

const EPOCH_MS = /^\d{1,15}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * Why HubSpot would refuse this value for this property, or undefined. Dates and datetimes take epoch
 * milliseconds or ISO 8601; a multiple-choice (checkbox) enumeration takes options joined by `;`.
 */
export function valueProblem(property: PropertyDefinition, value: string): string | undefined {
  const { name, type } = property;
  if (type === 'enumeration') {
    const chosen = property.fieldType === 'checkbox' ? value.split(';') : [value];
    const stranger = chosen.find((choice) => !property.options.some((o) => o.value === choice));
    return stranger === undefined ? undefined : `${JSON.stringify(stranger)} was not one of the allowed options for ${name}`;
  }
  if (type === 'datetime' && Number.isNaN(epochMsOf(value))) {
    return `${JSON.stringify(value)} is not a valid datetime for ${name}: send epoch milliseconds or an ISO 8601 date`;
  }
  if (type === 'date') {
    const epochMs = epochMsOf(value);
    if (Number.isNaN(epochMs)) return `${JSON.stringify(value)} is not a valid date for ${name}`;
    if (epochMs % DAY_MS !== 0) return `${JSON.stringify(value)} is not at midnight UTC, as a date property of ${name} must be`;
  }
  if (type === 'number' && !/^-?\d+(\.\d+)?$/.test(value)) return `${JSON.stringify(value)} is not a valid number for ${name}`;
  if (type === 'bool' && value !== 'true' && value !== 'false') return `${JSON.stringify(value)} is not a valid boolean for ${name}`;
  return undefined;
}

/** The value as HubSpot answers it later: datetimes as ISO 8601 UTC, dates as YYYY-MM-DD. */
export function storedValue(property: PropertyDefinition, value: string): string {
  if (property.type === 'datetime') return new Date(epochMsOf(value)).toISOString();
  if (property.type === 'date') return new Date(epochMsOf(value)).toISOString().slice(0, 10);
  return value;
}

function epochMsOf(value: string): number {
  if (EPOCH_MS.test(value)) return Number(value);
  if (ISO_DATE.test(value)) return Date.parse(`${value}T00:00:00Z`);
  return ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
}
