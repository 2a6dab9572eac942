// One container row of the Overview as one component (the page builds 500 of them: one element each, not twenty).
// Every value is shown as text ({{ }}) or a bound attribute, never as HTML. The open alerts' badges are the
// default slot, the CPU and memory cell the "usage" slot (its own element: a stats tick updates only that cell).
// The classes live here, not on the element, so an update sends the row's texts only. The columns are those of
// the headings (container_entry.GRID: keep both in step). The badges are Quasar's q-badge markup without the
// component (a thousand of them). Rows out of view skip layout and paint (content-visibility) but are in the DOM.
export default {
  template: `
    <div :data-container="name"
      class="w-full flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 border-t border-gray-500/20
             sm:grid sm:grid-cols-[minmax(0,1fr)_10rem_6rem_6.5rem] @4xl:grid-cols-[minmax(0,1fr)_10rem_13rem_6rem_6.5rem]
             [content-visibility:auto] [contain-intrinsic-size:auto_6rem]">
      <div class="nicegui-column gap-0 w-full sm:w-auto min-w-0">
        <a :href="href" target="_self"
           class="nicegui-link font-medium break-all text-blue-700 dark:text-blue-300 no-underline hover:underline"
        >{{ name }}</a>
        <div class="text-xs opacity-70">{{ service }}</div>
        <div class="text-xs font-mono opacity-70 break-words">{{ image }}</div>
        <div v-if="alerts" class="nicegui-row row gap-1 items-center pt-1"><slot></slot></div>
      </div>
      <div class="nicegui-row row gap-1 items-center no-wrap">
        <div :class="badge + ' bg-' + stateColor" role="status" :data-state="name + ':' + state">{{ state }}</div>
        <div v-show="health" :class="badge + ' bg-' + healthColor" role="status"
             :data-health="name + ':' + (health || 'none')">{{ health }}</div>
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
  created() {
    this.badge = "q-badge flex inline items-center no-wrap q-badge--single-line";
  },
};
