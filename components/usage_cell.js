// A container's CPU and memory in its Overview row: label, sparkline, number for each. The numbers are text, the
// lines an SVG polyline drawn only once there are points (an idle container's row has no empty boxes). The
// classes live here, not on the element, so a tick sends the numbers and lines only. Its place in the row: a line
// of its own under it, or a column where the card is wide enough.
export default {
  template: `
    <div class="flex flex-wrap @4xl:flex-col gap-x-5 gap-y-0.5 text-xs tabular-nums min-w-0
                w-full sm:col-span-full sm:order-last @4xl:col-span-1 @4xl:order-none">
      <div class="nicegui-row row items-center gap-1.5 no-wrap">
        <div class="opacity-60 w-7">CPU</div>
        <svg v-if="cpuPoints" :class="box + ' text-blue-600 dark:text-blue-300'" viewBox="0 0 60 16"
             preserveAspectRatio="none" aria-hidden="true"><polyline v-bind="stroke" :points="cpuPoints"></polyline></svg>
        <div class="whitespace-nowrap" :data-cpu="name" :data-at="at">{{ cpu }}</div>
      </div>
      <div class="nicegui-row row items-center gap-1.5 no-wrap">
        <div class="opacity-60 w-7">Mem</div>
        <svg v-if="memoryPoints" :class="box + ' text-purple-600 dark:text-purple-300'" viewBox="0 0 60 16"
             preserveAspectRatio="none" aria-hidden="true"><polyline v-bind="stroke" :points="memoryPoints"></polyline></svg>
        <div class="whitespace-nowrap" :data-memory="name">{{ memory }}</div>
      </div>
    </div>`,
  props: {
    name: { type: String, default: "" },
    cpu: { type: String, default: "—" },
    at: { type: String, default: "" },
    memory: { type: String, default: "—" },
    cpuPoints: { type: String, default: "" },
    memoryPoints: { type: String, default: "" },
  },
  created() {
    this.box = "w-16 h-4 shrink-0 overflow-visible rounded-sm bg-gray-500/10"; // a box: reads as a chart
    this.stroke = {
      fill: "none",
      stroke: "currentColor",
      "stroke-width": "1.5",
      "vector-effect": "non-scaling-stroke",
      "stroke-linejoin": "round",
    };
  },
};
