import type { ConnectorSettings } from './connector-settings.ts';
import type { WebhookRoutes } from './webhook-server.ts';

/** The routes a worker serves: one per vendor whose webhook secret it was given. */
export function webhookRoutes(settings: ConnectorSettings, viberBot: string): WebhookRoutes {
  const { vonage, plivo, viber, whatsApp } = settings;
  return {
    viber: viber && { bot: viberBot, authToken: viber.authToken },
    vonage: vonage?.signature && { signatureSecret: vonage.signature.secret, signatureMethod: vonage.signature.method },
    plivo: plivo && { authToken: plivo.authToken, publicUrl: settings.publicWebhookUrl, acceptSignatureV2: plivo.acceptSignatureV2 },
    whatsApp: whatsApp?.appSecret && whatsApp.verifyToken ? { appSecret: whatsApp.appSecret, verifyToken: whatsApp.verifyToken } : undefined,
  };
}
