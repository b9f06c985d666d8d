export { provisionVoucher } from './provision-voucher';
export { redeemVoucher, refundVoucher } from './use-voucher';
export { voucherLifecycle } from './voucher-lifecycle';
