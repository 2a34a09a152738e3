// Seven or more digits, possibly with a leading + and separators: anything that could be someone's number.
const PHONE_NUMBER_LIKE = /\+?\(?\d(?:[\d\s().-]{5,}\d)/g;

/**
 * Text from outside (a vendor's error body, a parser's message quoting a field) on its way into a failure
 * message, and so into the workflow history and the logs, where no phone number may go.
 */
export function redactPhoneNumbers(text: string): string {
  return text.replace(PHONE_NUMBER_LIKE, '[number]');
}
