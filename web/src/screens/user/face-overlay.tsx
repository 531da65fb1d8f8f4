// The faces of an analysed image drawn over it: an SVG in the image's own pixel space (viewBox =
// width × height, the coordinates the API gives), a box per face and its 68 landmarks. Each face
// is focusable and labelled; hovering or focusing it makes it the active face (the screen shows
// its score and person). Test hooks: data-face-box on each box, data-landmark on each point.

import type { Face } from './images-api.js';
import type { PersonRef } from './face-people.js';

export function personLabel(person: PersonRef | undefined): string {
  if (!person) return 'no person';
  return person.name ?? 'an unnamed person';
}

export function FaceOverlay(props: {
  width: number;
  height: number;
  faces: Face[];
  people: Map<string, PersonRef>;
  active: number | undefined;
  onActive: (index: number | undefined) => void;
}) {
  const { width, height, faces } = props;
  const unit = Math.max(width, height) / 400;
  return (
    <svg class="face-overlay" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="group" aria-label={`${faces.length} faces`} data-face-overlay>
      {faces.map((face, i) => {
        const label = `Face ${i + 1}: score ${face.score.toFixed(2)}, ${personLabel(props.people.get(face.faceId))}`;
        return (
          <g
            key={face.faceId}
            class={`face${props.active === i ? ' active' : ''}`}
            tabIndex={0}
            role="img"
            aria-label={label}
            data-face={face.faceId}
            onMouseEnter={() => props.onActive(i)}
            onMouseLeave={() => props.onActive(undefined)}
            onFocus={() => props.onActive(i)}
            onBlur={() => props.onActive(undefined)}
          >
            <rect data-face-box x={face.box.x} y={face.box.y} width={face.box.width} height={face.box.height} vector-effect="non-scaling-stroke" />
            {face.landmarks.map(([x, y], k) => (
              <circle key={k} data-landmark={k} cx={x} cy={y} r={unit * 1.2} />
            ))}
            {props.active === i ? (
              <text x={face.box.x} y={Math.max(unit * 12, face.box.y - unit * 4)} font-size={unit * 11} aria-hidden="true">
                {face.score.toFixed(2)} · {personLabel(props.people.get(face.faceId))}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}
