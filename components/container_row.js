// One container row of the Overview as one component (the page builds 500 of them: one element each, not twenty).
// Every value is shown as text ({{ }}) or a bound attribute, never as HTML. The open alerts' badges are the
// default slot, the CPU and memory cell the "usage" slot (its own element: a stats tick updates only that cell).
export default {
  template: `
    <div>
      <div class="nicegui-column gap-0 w-full sm:w-auto min-w-0">
        <a :href="href" target="_self"
           class="nicegui-link font-medium break-all text-blue-700 dark:text-blue-300 no-underline hover:underline"
        >{{ name }}</a>
        <div class="text-xs opacity-70">{{ service }}</div>
        <div class="text-xs font-mono opacity-70 break-words">{{ image }}</div>
        <div v-if="alerts" class="nicegui-row row gap-1 items-center pt-1"><slot></slot></div>
      </div>
      <div class="nicegui-row row gap-1 items-center no-wrap">
        <q-badge :color="stateColor" :data-state="name + ':' + state">{{ state }}</q-badge>
        <q-badge v-show="health" :color="healthColor" :data-health="name + ':' + (health || 'none')"
        >{{ health }}</q-badge>
      </div>
      <slot name="usage"></slot>
      <div class="text-sm opacity-80">{{ uptime }}</div>
      <div class="text-sm opacity-80" :data-restarts="restartCount">{{ restarts }}</div>
    </div>`,
  props: {
    name: { type: String, default: "" },
    href: { type: String, default: "" },
    service: { type: String, default: "" },
    image: { type: String, default: "" },
    alerts: { type: Number, default: 0 },
    state: { type: String, default: "" },
    stateColor: { type: String, default: "grey" },
    health: { type: String, default: "" },
    healthColor: { type: String, default: "grey" },
    uptime: { type: String, default: "" },
    restarts: { type: String, default: "" },
    restartCount: { type: Number, default: null },
  },
};
