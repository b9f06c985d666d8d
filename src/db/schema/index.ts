export * from './advices';
export * from './message-traces';
export * from './settlement-reports';
export * from './transactions';
