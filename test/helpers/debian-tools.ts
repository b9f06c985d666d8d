/** Programs the tests run that come from Debian's packages (`npm run setup:tools` installs them). */
export interface DebianTool {
  name: string;
  path: string;
  debianPackage: string;
  /** Where another path can be given. */
  variable: string;
}

const tool = (name: string, debianPackage: string, variable: string): DebianTool => ({
  name,
  path: process.env[variable] ?? `/usr/bin/${name}`,
  debianPackage,
  variable,
});

export const chromium = tool('chromium', 'chromium', 'CHROMIUM_PATH');
export const prometheus = tool('prometheus', 'prometheus', 'PROMETHEUS_PATH');
export const promtool = tool('promtool', 'prometheus', 'PROMTOOL_PATH');
export const alertmanager = tool('prometheus-alertmanager', 'prometheus-alertmanager', 'ALERTMANAGER_PATH');
export const amtool = tool('amtool', 'prometheus-alertmanager', 'AMTOOL_PATH');
export const kubectl = tool('kubectl', 'kubectl', 'KUBECTL_PATH');

export const debianTools = [chromium, prometheus, promtool, alertmanager, amtool, kubectl];
