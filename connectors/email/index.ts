import { readFileSync } from 'node:fs';
import { defineConnector } from '../kit/define-connector.ts';
import { EMAIL_ENV, EMAIL_MOCK_CONFIG, EmailConfig } from './email-config.ts';
import { EmailTemplates } from './email-templates.ts';
import { OutboxSender } from './outbox-sender.ts';
import { PostmarkClient } from './postmark-client.ts';
import { noteChange } from './note-change.ts';
import { sendEmail } from './send-email.ts';
import { SmtpClient } from './smtp-client.ts';

/** Notifications to partners and the vendor's team: templates, a Postmark-style API or an SMTP relay, an outbox that sends once. */
export const emailConnector = defineConnector({
  name: 'email',
  description: 'Templated emails through a transactional email API or an SMTP relay, sent once per notification (outbox).',
  config: EmailConfig,
  env: EMAIL_ENV,
  mockConfig: EMAIL_MOCK_CONFIG,
  // A start that finds no email variable asks for the API's (EmailConfig); SMTP is the other transport.
  otherwiseConfigured: 'EMAIL_SMTP_URL for an SMTP relay instead of EMAIL_API_URL and EMAIL_SERVER_TOKEN',
  connect: (config, deps): OutboxSender => {
    if (config.smtpUrl && config.smtpTlsInsecureSkipVerify) {
      deps.log.warn({ relay: config.smtpUrl }, 'EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY=true: the SMTP relay’s TLS certificate is not checked; anyone between here and the relay can read the emails (approval links included) and the SMTP password. Set EMAIL_SMTP_TLS_CA to the CA that signed the relay’s certificate instead');
    }
    return new OutboxSender({
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      from: config.from,
      templates: new EmailTemplates(config.templatesDir),
      // The configuration holds exactly one transport (EmailConfig).
      provider: config.smtpUrl
        ? new SmtpClient({
            url: config.smtpUrl,
            password: config.smtpPassword,
            clock: deps.clock,
            tls: {
              ...(config.smtpTlsCa ? { ca: readFileSync(config.smtpTlsCa, 'utf8') } : {}),
              ...(config.smtpTlsServername ? { servername: config.smtpTlsServername } : {}),
              ...(config.smtpTlsInsecureSkipVerify ? { insecureSkipVerify: true } : {}),
            },
          })
        : new PostmarkClient({
            apiUrl: config.apiUrl!,
            serverToken: config.serverToken!,
            messageStream: config.messageStream,
            http: { clock: deps.clock, log: deps.log, ...(deps.stopping && { stopping: deps.stopping }) },
          }),
    });
  },
  actions: { send: sendEmail, note_change: noteChange },
});
