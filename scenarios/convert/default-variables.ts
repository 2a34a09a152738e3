/**
 * Realistic values for the placeholders businesses use most, for Meta's review (WhatsApp requires an example for
 * every variable), and the field that usually fills each. Arabic-language scenarios get Arabic-context examples.
 * A scenario's own `variables` always win over this table.
 */
interface DefaultVariable {
  names: string[];
  field: string;
  en: string;
  ar: string;
}

const DEFAULTS: DefaultVariable[] = [
  { names: ['first_name', 'name', 'customer', 'customer_name', 'client_name', 'firstname', 'الاسم', 'اسم', 'اسم_العميل'], field: 'contact.first_name', en: 'Sarah', ar: 'سارة' },
  { names: ['last_name', 'surname', 'lastname'], field: 'contact.last_name', en: 'Khan', ar: 'الهاشمي' },
  { names: ['full_name'], field: 'contact.full_name', en: 'Sarah Khan', ar: 'سارة الهاشمي' },
  { names: ['order', 'order_id', 'order_number', 'order_no', 'رقم_الطلب', 'الطلب'], field: 'order.id', en: 'ORD-10482', ar: 'ORD-10482' },
  { names: ['tracking', 'tracking_number', 'tracking_id', 'awb'], field: 'order.tracking_number', en: '1Z999AA10123456784', ar: '1Z999AA10123456784' },
  { names: ['tracking_url', 'tracking_link', 'link', 'url'], field: 'order.tracking_url', en: 'https://track.example.com/1Z999AA1', ar: 'https://track.example.com/1Z999AA1' },
  { names: ['courier', 'carrier'], field: 'order.carrier', en: 'Aramex', ar: 'أرامكس' },
  { names: ['delivery_date', 'eta'], field: 'order.delivery_date', en: '14 March', ar: '14 مارس' },
  { names: ['delivery_window', 'window', 'time_slot', 'slot'], field: 'order.delivery_window', en: '2 PM – 5 PM', ar: '2 – 5 مساءً' },
  { names: ['date', 'appointment_date', 'التاريخ'], field: 'appointment.date', en: 'Tuesday 12 March', ar: 'الثلاثاء 12 مارس' },
  { names: ['time', 'appointment_time', 'الوقت'], field: 'appointment.time', en: '10:30 AM', ar: '10:30 صباحًا' },
  { names: ['doctor', 'doctor_name', 'stylist', 'agent'], field: 'appointment.staff_name', en: 'Dr. Patel', ar: 'د. خالد' },
  { names: ['branch', 'clinic', 'store', 'location', 'address', 'الفرع'], field: 'appointment.location', en: 'Dubai Marina branch', ar: 'فرع دبي مارينا' },
  { names: ['amount', 'total', 'price', 'balance', 'amount_due', 'المبلغ'], field: 'invoice.amount', en: '$49.90', ar: '149.00 درهم' },
  { names: ['due_date', 'deadline'], field: 'invoice.due_date', en: '31 March', ar: '31 مارس' },
  { names: ['invoice', 'invoice_number', 'invoice_id', 'bill_number', 'رقم_الفاتورة'], field: 'invoice.id', en: 'INV-2024-0391', ar: 'INV-2024-0391' },
  { names: ['account', 'account_number', 'account_id'], field: 'contact.account_number', en: '****4821', ar: '****4821' },
  { names: ['code', 'otp', 'otp_code', 'pin', 'passcode', 'verification_code', 'one_time_code', 'login_code', 'رمز', 'الرمز', 'رمز_التحقق'], field: 'otp.code', en: '482913', ar: '482913' },
  { names: ['minutes', 'expiry', 'expiry_minutes', 'validity'], field: 'otp.expiry_minutes', en: '10', ar: '10' },
  { names: ['product', 'product_name', 'item', 'المنتج'], field: 'product.name', en: 'Trail Runner 2 shoes', ar: 'حذاء الجري ترايل 2' },
  { names: ['discount', 'percent', 'percentage', 'الخصم'], field: 'promotion.discount', en: '20%', ar: '20%' },
  { names: ['promo_code', 'coupon', 'coupon_code', 'voucher', 'كود_الخصم'], field: 'promotion.code', en: 'SPRING20', ar: 'RAMADAN25' },
  { names: ['company', 'business', 'brand', 'shop', 'store_name'], field: 'business.name', en: 'Northwind Store', ar: 'متجر النخبة' },
];

/** The default field and example for a placeholder name, by exact name or by its last word (`customer_first_name`). */
export function defaultVariable(name: string, language: string): { field: string; example: string } | undefined {
  const known = DEFAULTS.find((d) => d.names.includes(name)) ?? DEFAULTS.find((d) => d.names.some((n) => n.includes('_') && name.endsWith(`_${n}`)));
  if (!known) return undefined;
  return { field: known.field, example: language.toLowerCase().startsWith('ar') ? known.ar : known.en };
}
