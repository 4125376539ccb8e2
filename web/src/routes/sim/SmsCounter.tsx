import { countSms, describeSmsCount } from './sms-counter';

/** Live character and part counter under an SMS text box. */
export function SmsCounter({ text, id }: { text: string; id?: string }) {
  const count = countSms(text);
  return (
    <span id={id} className={count.tooLong ? 'counter error-text' : count.encoding === 'UCS2' ? 'counter warn-text' : 'counter muted'} aria-live="polite" data-testid="sms-counter">
      {describeSmsCount(count)}
    </span>
  );
}
