export * from './types.js';
export { parseRoute, parseRule, parseRouteTokens, parseRuleTokens, tokenize, type IpDiagnostic, type Token } from './parse.js';
export { RoutingTables, type Address, type Device, type IpError, type AddMode } from './tables.js';
export { FibTable } from './fib-table.js';
export { formatRoute, formatRoutes, formatRule, formatRules, formatRouteGet } from './format.js';
export { runIp, type IpOutput } from './ip-command.js';
export { tableName, parseTable } from './names.js';
