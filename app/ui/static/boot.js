import init from "./rally_ui.js";
init();
