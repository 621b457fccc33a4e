import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Principal } from '../core/auth/principal';

/** Hono environment of the platform's apps: the Lambda event, and per-request variables. */
export interface AppEnv {
  Bindings: {
    readonly event?: APIGatewayProxyEventV2;
    readonly lambdaContext?: Context;
  };
  Variables: {
    requestId: string;
    /** Set once the request is authenticated. */
    principal: Principal | undefined;
  };
}
