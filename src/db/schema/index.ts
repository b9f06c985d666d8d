export * from './advices';
export * from './audit';
export * from './message-traces';
export * from './reconciliations';
export * from './settlement-reports';
export * from './transactions';
