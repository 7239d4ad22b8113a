export { APIServerBuilder, apiServer, type APIServerOptions, type ActionHandler, type BuiltAPI, type ConnectHandler, type KindOptions, type SubresourceHandlers } from './builder.js';
export { StringEnum, defineKind, defineVersion, guessPlural, type ObjectOf, type TypedVersion } from './define.js';
