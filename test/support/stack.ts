import { createServer } from "node:http"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Exit, Layer, LogLevel, Scope } from "effect"
import { appConfigFrom } from "../../src/Config.js"
import { serviceLayer } from "../../src/Http.js"
import { loggingLayer } from "../../src/Logging.js"
import { DeduperEmulator } from "../emulators/deduper.js"
import { GreenSmsEmulator } from "../emulators/greensms.js"
import { RetailCrmEmulator } from "../emulators/retailcrm.js"

export const crmApiKey = "test-crm-key"
export const greenSmsToken = "test-greensms-token"
export const dedupeApiKey = "test-dedupe-key"

export interface StackOptions {
  /** Port of the service; 0 picks a free one. */
  readonly port?: number
  readonly crmPort?: number
  readonly greenSmsPort?: number
  readonly deduperPort?: number
  readonly sqlitePath: string
  /** Settings on top of the stack's defaults; `undefined` removes a default. */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly logLevel?: LogLevel.LogLevel
  /** Receives each JSON log line of the service; by default lines are kept in `logs` only. */
  readonly onLog?: (line: string) => void
}

/**
 * The service wired to the three emulators, everything on 127.0.0.1. The emulators outlive service
 * restarts, so a test can stop the service and start it again on the same SQLite file.
 */
export class Stack {
  readonly logs: Array<string> = []
  #scope: Scope.CloseableScope | undefined
  #url = ""

  private constructor(
    readonly options: StackOptions,
    readonly crm: RetailCrmEmulator,
    readonly greenSms: GreenSmsEmulator,
    readonly deduper: DeduperEmulator
  ) {}

  static async start(options: StackOptions): Promise<Stack> {
    const [crm, greenSms, deduper] = await Promise.all([
      RetailCrmEmulator.start({
        apiKey: crmApiKey,
        ...(options.crmPort === undefined ? {} : { port: options.crmPort })
      }),
      GreenSmsEmulator.start({
        token: greenSmsToken,
        ...(options.greenSmsPort === undefined ? {} : { port: options.greenSmsPort })
      }),
      DeduperEmulator.start({
        apiKey: dedupeApiKey,
        ...(options.deduperPort === undefined ? {} : { port: options.deduperPort })
      })
    ])
    const stack = new Stack(options, crm, greenSms, deduper)
    // A service that fails to start must not leave the emulators listening.
    await stack.startService().catch(async (error: unknown) => {
      await stack.close()
      throw error
    })
    return stack
  }

  /** Base URL of the running service, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return this.#url
  }

  env(): Record<string, string | undefined> {
    return {
      APP_HOST: "127.0.0.1",
      SQLITE_PATH: this.options.sqlitePath,
      RETAILCRM_BASE_URL: this.crm.url,
      RETAILCRM_API_KEY: crmApiKey,
      RETAILCRM_MAX_RPS: "100",
      GREENSMS_BASE_URL: this.greenSms.url,
      GREENSMS_TOKEN: greenSmsToken,
      GREENSMS_VK_FROM: "testshop",
      DEDUPE_BASE_URL: this.deduper.url,
      DEDUPE_API_KEY: dedupeApiKey,
      // Tests hash thousands of codes; the default iteration count is covered by the unit tests.
      OTP_HASH_ITERATIONS: "1000",
      ...this.options.env
    }
  }

  async startService(): Promise<void> {
    const scope = Effect.runSync(Scope.make())
    const server = NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: this.options.port ?? 0 })
    const layer = serviceLayer(server).pipe(
      Layer.provide(appConfigFrom(this.env())),
      Layer.provide(
        loggingLayer(this.options.logLevel ?? LogLevel.Info, (line) => {
          this.logs.push(line)
          this.options.onLog?.(line)
        })
      )
    )
    const context = await Effect.runPromise(Layer.buildWithScope(layer, scope)).catch(async (error) => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      throw error
    })
    const address = Context.get(context, HttpServer.HttpServer).address
    if (address._tag !== "TcpAddress") throw new Error("the service did not bind a TCP port")
    this.#url = `http://127.0.0.1:${address.port}`
    this.#scope = scope
  }

  async stopService(): Promise<void> {
    const scope = this.#scope
    this.#scope = undefined
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  }

  async close(): Promise<void> {
    await this.stopService()
    await Promise.all([this.crm.close(), this.greenSms.close(), this.deduper.close()])
  }
}
