/** Version reported by `GET /v2` and the OpenAPI document. */
export const PLATFORM_VERSION = '0.1.0';
