import * as React from 'react';

/** The props that tie a control to its label and message. */
export interface IControlProps {
  id: string;
  'aria-invalid': boolean | undefined;
  'aria-describedby': string | undefined;
}

/**
 * A labelled form field with its message below: the message is tied to the control with
 * aria-describedby and announced when it appears.
 */
export function Field(props: {
  id: string;
  label: string;
  problem?: string | null;
  note?: React.ReactNode;
  /** The control, or a function that places the control's props itself (for wrappers). */
  children:
    React.ReactElement | ((control: IControlProps) => React.ReactElement);
}): JSX.Element {
  const messageId = `${props.id}-message`;
  const controlProps: IControlProps = {
    id: props.id,
    'aria-invalid': props.problem ? true : undefined,
    'aria-describedby': props.problem || props.note ? messageId : undefined
  };
  const control =
    typeof props.children === 'function'
      ? props.children(controlProps)
      : React.cloneElement(props.children, controlProps);
  return (
    <div className="jp-CondaPacks-field">
      <label htmlFor={props.id}>{props.label}</label>
      {control}
      {props.problem ? (
        <div id={messageId} className="jp-CondaPacks-fieldProblem" role="alert">
          {props.problem}
        </div>
      ) : props.note ? (
        <div id={messageId} className="jp-CondaPacks-fieldNote">
          {props.note}
        </div>
      ) : null}
    </div>
  );
}
