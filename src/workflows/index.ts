export { provisionVoucher } from './provision-voucher';
