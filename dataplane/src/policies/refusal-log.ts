import { GatewayError } from '../errors/errors';
import type { Logger } from '../telemetry/logger';
import type { Plugin, PolicyRequest } from './types';

type Stage = 'preRequest' | 'postRequest' | 'preResponse' | 'inspectResponse';
type AnyHook = (req: PolicyRequest, ...rest: never[]) => unknown;

/**
 * The plugin as it is when debug logging is off (no cost on the request path); when it is on, the
 * same plugin with each refusal (a hook that throws) logged at debug: policy, plugin, stage, and
 * the status and code the caller gets. Only the decision is logged, never the request's content.
 */
export function withRefusalLog(plugin: Plugin, policy: string, logger: Logger | undefined): Plugin {
  if (!logger?.isLevelEnabled('debug')) return plugin;
  const refused = (stage: Stage, req: PolicyRequest, err: unknown): never => {
    // A refusal is a GatewayError; anything else is a failure, logged where it is handled.
    if (err instanceof GatewayError) {
      logger.debug(
        { requestId: req.requestId, policy, plugin: plugin.name, stage, status: err.status, code: err.code },
        'policy refused the request',
      );
    }
    throw err;
  };
  function logged<F extends AnyHook>(stage: Stage, hook: F | undefined): F | undefined {
    if (!hook) return undefined;
    const wrapper = (req: PolicyRequest, ...rest: never[]): unknown => {
      try {
        const out = hook(req, ...rest);
        return out instanceof Promise ? out.catch((err: unknown) => refused(stage, req, err)) : out;
      } catch (err) {
        return refused(stage, req, err);
      }
    };
    return wrapper as F;
  }
  // Plugins are plain objects of closures: every other member (name, edge, filters, flags) is kept.
  return {
    ...plugin,
    preRequest: logged('preRequest', plugin.preRequest),
    postRequest: logged('postRequest', plugin.postRequest),
    preResponse: logged('preResponse', plugin.preResponse),
    inspectResponse: logged('inspectResponse', plugin.inspectResponse),
  };
}
