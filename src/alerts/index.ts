// What other surfaces (the status page, summary.json, badges, /metrics) read of alerting: the view over the store and
// its types. `Agent.alerts` is one (under serve); `createAlertsView` makes one over any store (the CLI's). Delivery
// outcomes can also be counted as they happen with AgentOptions.onDelivery(sink, outcome).
export { createAlertsView } from './view.ts';
export type { AlertsView, AlertView, ClusterAlerts, DeliveryView } from './view.ts';
export type { ActiveMaintenance, QuietReason } from './quiet.ts';
export type {
  Alert,
  AlertSeverity,
  AlertState,
  DeliveryCount,
  DeliveryOutcomeLabel,
  NotificationKind,
  Silence,
} from './types.ts';
export { DELIVERY_OUTCOMES } from './types.ts';
