import type { SocketHealth } from '@plugboard/contracts';
import { chromiumProblem } from './chromium-executable';
import type { EngineLogger } from './engine-logger';
import { EnginePort, type EngineSession, type EngineSessionOptions } from './engine.port';
import { WhatsappWebJsSession } from './whatsapp-web-js-session';

export interface WhatsappWebJsEngineOptions {
  executablePath: string;
  args: string[];
  /** Folder of the logins, one `session-<id>` folder per session. */
  dataPath: string;
}

/** The whatsapp-web.js plug: real WhatsApp Web driven through Debian's Chromium. */
export class WhatsappWebJsEngineAdapter extends EnginePort {
  readonly name = 'whatsapp-web.js' as const;
  private readonly sessions = new Set<WhatsappWebJsSession>();

  constructor(
    private readonly options: WhatsappWebJsEngineOptions,
    private readonly logger: EngineLogger,
  ) {
    super();
  }

  override createSession({ sessionId }: EngineSessionOptions): EngineSession {
    const session: WhatsappWebJsSession = new WhatsappWebJsSession({
      ...this.options,
      sessionId,
      logger: this.logger,
      onDestroyed: () => this.sessions.delete(session),
    });
    this.sessions.add(session);
    return session;
  }

  /** Up when the Chromium executable is there; WhatsApp Web itself is checked per session, by starting it. */
  override async health(): Promise<SocketHealth> {
    const problem = await chromiumProblem(this.options.executablePath);
    return problem
      ? { socket: 'engine', plug: 'whatsapp-web.js', status: 'down', detail: problem }
      : { socket: 'engine', plug: 'whatsapp-web.js', status: 'up', detail: `Chromium at ${this.options.executablePath}` };
  }

  /** Closes every browser this plug started. */
  override async close(): Promise<void> {
    await Promise.all([...this.sessions].map((session) => session.destroy()));
  }
}
