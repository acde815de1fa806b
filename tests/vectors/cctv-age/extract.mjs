import * as v from "./package/index.js";
import fs from "fs";
let n=0;
for (const [k, val] of Object.entries(v)) { if (k==="default") continue; fs.writeFileSync("out/"+k, val); n++; }
console.log(n);
