export * from './message-traces';
export * from './transactions';
