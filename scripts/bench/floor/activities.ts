import { Pool } from 'undici';

/** What the floor sends the provider simulator: the same order as the bench's direct path. */
export interface FloorOrder {
  reference: string;
  channelMessageId: string;
}

/** The simulator's answer as it came: the floor's HTTP server relays it unchanged. */
export interface FloorAnswer {
  status: number;
  body: string;
}

/** The floor's one activity (run as a local activity), on one keep-alive pool to the simulator. */
export function createFloorActivities(simulatorUrl: string) {
  const pool = new Pool(simulatorUrl);
  const activities = {
    async provision(order: FloorOrder): Promise<FloorAnswer> {
      const response = await pool.request({
        path: '/providers/flash/vouchers',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(order),
      });
      return { status: response.statusCode, body: await response.body.text() };
    },
  };
  return { activities, close: () => pool.close() };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>['activities'];
