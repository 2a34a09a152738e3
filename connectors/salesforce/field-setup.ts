import { ApplicationFailure } from '@temporalio/common';
import { vendorFailure } from '../vendor-failure.ts';
import { contactCustomFields } from './contact-mapping.ts';
import { errorsOf } from './rest-api.ts';
import type { SalesforceApi } from './rest-api.ts';

interface ContactDescribe {
  fields?: { name?: string; externalId?: boolean }[];
}

/** Creates, through the Tooling API, each custom Contact field the sync writes that the org does not have yet. */
export async function createMissingContactFields(api: SalesforceApi, externalIdField: string): Promise<void> {
  const describe = JSON.parse((await api.request('GET', '/sobjects/Contact/describe')).text) as ContactDescribe;
  const existing = new Map((describe.fields ?? []).map((field) => [field.name, field]));
  for (const field of contactCustomFields(externalIdField)) {
    const found = existing.get(field.name);
    if (found !== undefined) {
      if (field.name === externalIdField && found.externalId !== true) {
        throw ApplicationFailure.create({
          type: 'SalesforceRejected',
          message: `Contact.${field.name} exists but is not an External ID field, so Salesforce cannot upsert by it`,
          nonRetryable: true,
        });
      }
      continue;
    }
    const answer = await api.request('POST', '/tooling/sobjects/CustomField', {
      json: { FullName: `Contact.${field.name}`, Metadata: field.metadata },
      expected: [400],
    });
    // Another worker created it between our describe and our create, which is just as good.
    if (answer.status === 400 && !errorsOf(answer.text).some((error) => error.errorCode === 'DUPLICATE_DEVELOPER_NAME')) {
      throw vendorFailure('Salesforce', answer.status, answer.text);
    }
  }
}
