export * from './advices';
export * from './message-traces';
export * from './transactions';
