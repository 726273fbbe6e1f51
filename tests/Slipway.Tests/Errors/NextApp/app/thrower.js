'use client';
import { explodeOnPurpose } from './boom';
export default function Thrower() {
  return (<button onClick={() => explodeOnPurpose('clicked')}>Throw</button>);
}
